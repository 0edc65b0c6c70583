// The vault's dialogs: add an identity (create, import a private key or a recovery phrase), unlock
// the vault, and export an identity's key. Secrets live only in these dialogs' state (gone when
// they close) and are never logged; main's error messages never contain them, so they show inline.
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useApi } from '../api-context';
import { useEscapeKey } from './modal-keys';
import type { VaultStatus } from '../../../shared/api/vault';

const ENCRYPTING = 'Encrypting… (scrypt takes about a second)';
const MIN_PASSWORD = 8;

/** The shared frame: a modal form; Enter submits, Esc closes (unless busy), the first field has focus. */
function VaultModal({
  title,
  testId,
  busy,
  onClose,
  onSubmit,
  submitLabel,
  submitDisabled,
  initialFocus,
  children,
}: {
  initialFocus?: string;
  title: string;
  testId: string;
  busy: boolean;
  onClose: () => void;
  onSubmit?: () => void;
  submitLabel?: string;
  submitDisabled?: boolean;
  children: ReactNode;
}) {
  const formRef = useRef<HTMLFormElement>(null);
  useEffect(() => {
    const form = formRef.current;
    (
      (initialFocus ? form?.querySelector<HTMLElement>(initialFocus) : null) ??
      form?.querySelector<HTMLElement>('input, select, textarea') ??
      form?.querySelector<HTMLElement>('button')
    )?.focus();
  }, [initialFocus]);
  // Esc closes wherever focus is (the dialog is modal), except while main is working.
  const backdrop = useRef<HTMLDivElement>(null);
  useEscapeKey(backdrop, onClose, busy);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!busy && !submitDisabled && onSubmit) onSubmit();
  };
  return (
    <div className="modal-backdrop" ref={backdrop}>
      <form
        ref={formRef}
        className="modal vault-dialog"
        role="dialog"
        aria-modal="true"
        aria-label={title}
        data-testid={testId}
        onSubmit={submit}
      >
        <header>
          <h3>{title}</h3>
        </header>
        <div className="modal-body">{children}</div>
        <footer>
          {busy && (
            <span className="muted vault-progress" role="status" data-testid="vault-progress">
              {ENCRYPTING}
            </span>
          )}
          <button type="button" className="button" disabled={busy} onClick={onClose}>
            {onSubmit ? 'Cancel' : 'Close'}
          </button>
          {onSubmit && (
            <button
              type="submit"
              className="button primary"
              disabled={busy || submitDisabled}
              data-testid="vault-submit"
            >
              {submitLabel}
            </button>
          )}
        </footer>
      </form>
    </div>
  );
}

function FormError({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p className="form-error" role="alert" data-testid="vault-error">
      {error}
    </p>
  );
}

function PasswordField({
  label,
  value,
  onChange,
  disabled,
  testId,
  autoComplete,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  disabled: boolean;
  testId: string;
  autoComplete: 'new-password' | 'current-password';
}) {
  return (
    <label className="field">
      <span>{label}</span>
      <input
        type="password"
        value={value}
        disabled={disabled}
        autoComplete={autoComplete}
        data-testid={testId}
        onChange={(e) => onChange(e.target.value)}
      />
    </label>
  );
}

type AddTab = 'create' | 'privateKey' | 'mnemonic';
const tabs: { id: AddTab; label: string }[] = [
  { id: 'create', label: 'Create new' },
  { id: 'privateKey', label: 'Import private key' },
  { id: 'mnemonic', label: 'Import recovery phrase' },
];

/** Creates or imports an identity; the first one sets the vault password, later ones must give it. */
export function AddIdentityDialog({ status, onClose }: { status: VaultStatus | null; onClose: () => void }) {
  const api = useApi();
  const firstIdentity = !status?.initialized;
  const [tab, setTab] = useState<AddTab>('create');
  const [label, setLabel] = useState('');
  const [privateKey, setPrivateKey] = useState('');
  const [mnemonic, setMnemonic] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const mismatch = firstIdentity && confirm.length > 0 && confirm !== password;
  const missing =
    !label.trim() ||
    password.length === 0 ||
    (firstIdentity && confirm.length === 0) ||
    (tab === 'privateKey' && !privateKey.trim()) ||
    (tab === 'mnemonic' && !mnemonic.trim());

  const submit = async () => {
    if (firstIdentity && password.length < MIN_PASSWORD) {
      setError(`The vault password needs at least ${MIN_PASSWORD} characters.`);
      return;
    }
    if (mismatch) {
      setError('The passwords do not match.');
      return;
    }
    setBusy(true);
    setError(null);
    const base = { label: label.trim(), password };
    const result =
      tab === 'create'
        ? await api.call('vault.create', base)
        : tab === 'privateKey'
          ? await api.call('vault.importKey', { ...base, privateKey: privateKey.trim() })
          : await api.call('vault.importMnemonic', { ...base, mnemonic: mnemonic.trim() });
    setBusy(false);
    if (result.ok) {
      setPassword('');
      setConfirm('');
      setPrivateKey('');
      setMnemonic('');
      onClose();
    } else setError(result.error.message);
  };

  return (
    <VaultModal
      title="Add identity"
      testId="vault-add-dialog"
      busy={busy}
      onClose={onClose}
      onSubmit={() => void submit()}
      submitLabel={tab === 'create' ? 'Create' : 'Import'}
      submitDisabled={missing || mismatch}
    >
      <div className="vault-tabs" role="tablist" aria-label="How to add the identity">
        {tabs.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            aria-selected={tab === t.id}
            className={tab === t.id ? 'vault-tab active' : 'vault-tab'}
            disabled={busy}
            onClick={() => {
              setTab(t.id);
              setError(null);
            }}
          >
            {t.label}
          </button>
        ))}
      </div>
      <label className="field">
        <span>Label</span>
        <input
          value={label}
          disabled={busy}
          maxLength={80}
          data-testid="vault-label"
          placeholder="e.g. Site engineer"
          onChange={(e) => setLabel(e.target.value)}
        />
      </label>
      {tab === 'privateKey' && (
        <label className="field">
          <span>Private key</span>
          <input
            type="password"
            value={privateKey}
            disabled={busy}
            autoComplete="off"
            spellCheck={false}
            data-testid="vault-private-key"
            placeholder="0x… (64 hexadecimal characters)"
            onChange={(e) => setPrivateKey(e.target.value)}
          />
        </label>
      )}
      {tab === 'mnemonic' && (
        <label className="field">
          <span>Recovery phrase</span>
          <textarea
            value={mnemonic}
            disabled={busy}
            rows={3}
            autoComplete="off"
            spellCheck={false}
            data-testid="vault-mnemonic"
            placeholder="12 to 24 words, separated by spaces"
            onChange={(e) => setMnemonic(e.target.value)}
            onKeyDown={(e) => {
              // Enter submits here too; the phrase is one line of words.
              if (e.key === 'Enter' && !e.shiftKey) {
                e.preventDefault();
                e.currentTarget.form?.requestSubmit();
              }
            }}
          />
        </label>
      )}
      {firstIdentity ? (
        <>
          <PasswordField
            label={`New vault password (at least ${MIN_PASSWORD} characters)`}
            value={password}
            onChange={setPassword}
            disabled={busy}
            testId="vault-password"
            autoComplete="new-password"
          />
          <PasswordField
            label="Confirm the password"
            value={confirm}
            onChange={setConfirm}
            disabled={busy}
            testId="vault-password-confirm"
            autoComplete="new-password"
          />
          <small className={mismatch ? 'form-error' : 'muted'}>
            {mismatch
              ? 'The passwords do not match.'
              : 'This password protects every key in the vault. It cannot be recovered if lost.'}
          </small>
        </>
      ) : (
        <PasswordField
          label="Vault password"
          value={password}
          onChange={setPassword}
          disabled={busy}
          testId="vault-password"
          autoComplete="current-password"
        />
      )}
      <FormError error={error} />
    </VaultModal>
  );
}

/** Asks the vault password; explains why when no OS keychain remembers it. */
export function UnlockDialog({ status, onClose }: { status: VaultStatus | null; onClose: () => void }) {
  const api = useApi();
  const [password, setPassword] = useState('');
  const [remember, setRemember] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const os = status?.protection.kind === 'os';

  const unlock = async (withPassword: boolean) => {
    setBusy(true);
    setError(null);
    const result = await api.call(
      'vault.unlock',
      withPassword ? { password, ...(os ? { remember } : {}) } : {},
    );
    setBusy(false);
    if (result.ok) {
      setPassword('');
      onClose();
    } else {
      setPassword('');
      setError(result.error.message);
    }
  };

  return (
    <VaultModal
      title="Unlock the vault"
      testId="vault-unlock-dialog"
      busy={busy}
      onClose={onClose}
      onSubmit={() => void unlock(true)}
      submitLabel="Unlock"
      submitDisabled={password.length === 0}
    >
      <PasswordField
        label="Vault password"
        value={password}
        onChange={(value) => {
          setPassword(value);
          setError(null);
        }}
        disabled={busy}
        testId="vault-password"
        autoComplete="current-password"
      />
      {status?.protection.kind === 'none' && (
        <p className="muted vault-note" data-testid="vault-protection">
          The password is asked because no OS keychain protects it here: {status.protection.description}
        </p>
      )}
      {os && (
        <label className="vault-check">
          <input
            type="checkbox"
            checked={remember}
            disabled={busy}
            onChange={(e) => setRemember(e.target.checked)}
          />
          <span>Remember it in the OS keychain ({status.protection.description})</span>
        </label>
      )}
      {status?.canUnlockWithoutPassword && (
        <button type="button" className="button" disabled={busy} onClick={() => void unlock(false)}>
          Unlock with the OS keychain
        </button>
      )}
      <FormError error={error} />
    </VaultModal>
  );
}

type ExportFormat = 'privateKey' | 'mnemonic' | 'keystore';
const formats: { id: ExportFormat; label: string }[] = [
  { id: 'privateKey', label: 'Private key (0x…)' },
  { id: 'mnemonic', label: 'Recovery phrase' },
  { id: 'keystore', label: 'Encrypted keystore JSON' },
];

/** Exports one identity's key after asking the password; shows the secret once. */
export function ExportDialog({
  identity,
  onClose,
}: {
  identity: { id: string; label: string; address: string };
  onClose: () => void;
}) {
  const api = useApi();
  const [format, setFormat] = useState<ExportFormat>('privateKey');
  const [password, setPassword] = useState('');
  const [secret, setSecret] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const reveal = async () => {
    setBusy(true);
    setError(null);
    const result = await api.call('vault.export', { id: identity.id, password, format });
    setBusy(false);
    setPassword('');
    if (result.ok) setSecret(result.value.secret);
    else setError(result.error.message);
  };

  const copy = async () => {
    if (!secret) return;
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
    } catch {
      setError('Could not copy: select the text and copy it by hand.');
    }
  };

  const close = () => {
    setSecret(null);
    onClose();
  };

  if (secret !== null) {
    return (
      <VaultModal
        key="secret"
        title={`Export ${identity.label}`}
        testId="vault-export-dialog"
        busy={false}
        onClose={close}
        initialFocus='[data-testid="vault-copy"]'
      >
        <p className="vault-warning" role="note">
          Anyone who sees this {format === 'keystore' ? 'keystore and knows the password' : 'secret'} controls{' '}
          {identity.address}. It is shown once: store it somewhere safe, then close this dialog.
        </p>
        <textarea
          className="vault-secret"
          readOnly
          rows={format === 'keystore' ? 8 : 3}
          value={secret}
          spellCheck={false}
          data-testid="vault-secret"
          onFocus={(e) => e.currentTarget.select()}
        />
        <div className="file-row">
          <button type="button" className="button" data-testid="vault-copy" onClick={() => void copy()}>
            Copy
          </button>
          {copied && <span className="muted">Copied to the clipboard.</span>}
        </div>
        <FormError error={error} />
      </VaultModal>
    );
  }

  return (
    <VaultModal
      key="password"
      title={`Export ${identity.label}`}
      testId="vault-export-dialog"
      busy={busy}
      onClose={close}
      onSubmit={() => void reveal()}
      submitLabel="Show secret"
      submitDisabled={password.length === 0}
    >
      <PasswordField
        label="Vault password"
        value={password}
        onChange={setPassword}
        disabled={busy}
        testId="vault-password"
        autoComplete="current-password"
      />
      <label className="field">
        <span>Format</span>
        <select
          value={format}
          disabled={busy}
          data-testid="vault-export-format"
          onChange={(e) => setFormat(e.target.value as ExportFormat)}
        >
          {formats.map((f) => (
            <option key={f.id} value={f.id}>
              {f.label}
            </option>
          ))}
        </select>
      </label>
      <p className="muted vault-note">
        The secret is shown once in this dialog. Anyone who has it controls the identity.
      </p>
      <FormError error={error} />
    </VaultModal>
  );
}
