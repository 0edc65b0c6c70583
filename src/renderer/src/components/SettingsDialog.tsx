// Settings: what main applies live (the import size limit, the vault's idle lock, the chain: mode,
// endpoint, deployment manifest, confirmations) and the theme (System, Light or Dark: theme.tsx
// applies it once saved, and 'system' follows the OS). The form is checked here with the shared
// schema, each problem said next to its field, and only the fields that differ from main's are
// sent; main checks them again and its refusal is shown.
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useApi, useEvent } from '../api-context';
import { useWorkspace } from '../workspace';
import { useEscapeKey } from './modal-keys';
import { defaultSettings, Settings } from '../../../shared/api/app';

type Field = keyof Settings;
/** The inputs' text, as typed: a half-typed number or URL stays on screen as it is. */
type Form = Record<Field, string>;

const FIELDS: Field[] = [
  'maxImportMegabytes',
  'vaultIdleLockMinutes',
  'chainMode',
  'rpcUrl',
  'deploymentManifestPath',
  'syncConfirmations',
  'theme',
];
/** Shown in network mode only; their edits are kept (and saved) while sandbox is chosen. */
const NETWORK_FIELDS: readonly Field[] = ['rpcUrl', 'deploymentManifestPath', 'syncConfirmations'];

// Bounds from the schema, so that the hints and messages cannot drift from what main accepts.
const bounds = (field: 'maxImportMegabytes' | 'vaultIdleLockMinutes' | 'syncConfirmations') => {
  const schema = Settings.shape[field];
  return { min: schema.minValue ?? undefined, max: schema.maxValue ?? undefined };
};
const importMb = bounds('maxImportMegabytes');
const idleMinutes = bounds('vaultIdleLockMinutes');
const confirmations = bounds('syncConfirmations');
const manifestMaxLength = Settings.shape.deploymentManifestPath.unwrap().maxLength;

const THEMES: readonly [Settings['theme'], string][] = [
  ['system', 'System'],
  ['light', 'Light'],
  ['dark', 'Dark'],
];

/** The message for a field the schema refuses; each names its field as its label does. */
const PROBLEMS: Record<Field, string> = {
  maxImportMegabytes: `Maximum IFC import size must be a whole number of MB from ${importMb.min} to ${importMb.max}`,
  vaultIdleLockMinutes: `Vault auto-lock must be a whole number of minutes from ${idleMinutes.min} to ${idleMinutes.max}`,
  chainMode: 'Chain mode must be sandbox or network',
  rpcUrl: 'RPC URL must be an http(s) URL',
  deploymentManifestPath: `Deployment manifest path must be at most ${manifestMaxLength} characters`,
  syncConfirmations: `Sync confirmations must be a whole number from ${confirmations.min} to ${confirmations.max}`,
  theme: 'Theme must be System, Light or Dark',
};
// The schema lets network mode go without an endpoint, but main's chain service then has nothing
// to start (its status: "No network configured", in error), so the dialog asks for one.
const URL_NEEDED = 'Network mode needs an RPC URL: without one there is no chain to connect to';

const toForm = (s: Settings): Form => ({
  maxImportMegabytes: String(s.maxImportMegabytes),
  vaultIdleLockMinutes: String(s.vaultIdleLockMinutes),
  chainMode: s.chainMode,
  rpcUrl: s.rpcUrl ?? '',
  deploymentManifestPath: s.deploymentManifestPath ?? '',
  syncConfirmations: String(s.syncConfirmations),
  theme: s.theme,
});

/** What a field's text stands for: a blank number is no number (not 0), blank text is "none". */
function valueOf(field: Field, text: string): unknown {
  const trimmed = text.trim();
  switch (field) {
    case 'maxImportMegabytes':
    case 'vaultIdleLockMinutes':
    case 'syncConfirmations':
      return trimmed === '' ? Number.NaN : Number(trimmed);
    case 'rpcUrl':
    case 'deploymentManifestPath':
      return trimmed === '' ? null : trimmed;
    case 'chainMode':
    case 'theme':
      return text;
  }
}

/** The problems by field, and (when there are none) the fields that differ from main's settings. */
function review(form: Form, saved: Settings) {
  const values = Object.fromEntries(FIELDS.map((f) => [f, valueOf(f, form[f])]));
  const errors: Partial<Record<Field, string>> = {};
  const parsed = Settings.partial().safeParse(values);
  for (const issue of parsed.error?.issues ?? []) {
    const field = issue.path[0] as Field;
    errors[field] = PROBLEMS[field];
  }
  if (values.chainMode === 'network' && values.rpcUrl === null) errors.rpcUrl ??= URL_NEEDED;
  if (!parsed.success || Object.keys(errors).length > 0) return { errors, patch: {} };
  const patch: Partial<Settings> = Object.fromEntries(
    FIELDS.filter((f) => parsed.data[f] !== saved[f]).map((f) => [f, parsed.data[f]]),
  );
  return { errors, patch };
}

export function SettingsDialog({ onClose }: { onClose: () => void }) {
  const api = useApi();
  const { toast } = useWorkspace();
  // Main's settings now (settings.get, then settings.changed): what the form's edits are measured against.
  const [saved, setSaved] = useState<Settings | null>(null);
  const [form, setForm] = useState<Form | null>(null);
  // Fields the user has touched keep their text when the settings change elsewhere meanwhile. A ref,
  // updated as the input arrives: a settings.changed that comes before the edit's re-render must
  // already see it (the last render's closure would not, and would overwrite what was just typed).
  const edited = useRef(new Set<Field>());
  const [saving, setSaving] = useState(false);
  // Save's refusal; cleared by the next edit or save.
  const [error, setError] = useState<string | null>(null);
  // settings.get's failure: said only while the form has no values (a settings.changed may fill it).
  const [readError, setReadError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    void api.call('settings.get', {}).then((r) => {
      if (!live) return;
      if (!r.ok) {
        setReadError(`The settings could not be read: ${r.error.message}`);
        return;
      }
      // A settings.changed that arrived first is newer than this answer.
      setSaved((current) => current ?? r.value);
      setForm((current) => current ?? toForm(r.value));
    });
    return () => {
      live = false;
    };
  }, [api]);

  useEvent('settings.changed', (next) => {
    setSaved(next);
    const fresh = toForm(next);
    // edited.current as it is when the update runs: an edit made meanwhile counts too.
    setForm((current) =>
      current
        ? (Object.fromEntries(FIELDS.map((f) => [f, edited.current.has(f) ? current[f] : fresh[f]])) as Form)
        : fresh,
    );
  });

  // Focus goes to the first field once the form is filled, and back to whatever had it on closing
  // (the gear, or the page Ctrl+, was pressed on).
  const firstField = useRef<HTMLInputElement>(null);
  const ready = form !== null;
  useEffect(() => {
    if (ready) firstField.current?.focus();
  }, [ready]);
  useEffect(() => {
    const opener = document.activeElement;
    return () => {
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    };
  }, []);

  const backdrop = useRef<HTMLDivElement>(null);
  useEscapeKey(backdrop, onClose, saving);

  const { errors, patch } = form && saved ? review(form, saved) : { errors: {}, patch: {} };
  const changed = Object.keys(patch).length > 0;
  const canSave = changed && !saving;
  const network = form?.chainMode === 'network';
  const shownError = error ?? (form ? null : readError);

  const edit = (field: Field, text: string) => {
    edited.current.add(field);
    setForm((current) => current && { ...current, [field]: text });
    setError(null);
  };
  const restoreDefaults = () => {
    edited.current = new Set(FIELDS);
    setForm(toForm(defaultSettings));
    setError(null);
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (!canSave) return;
    setSaving(true);
    setError(null);
    const r = await api.call('settings.update', patch);
    setSaving(false);
    if (!r.ok) {
      setError(`The settings were not saved: ${r.error.message}`);
      return;
    }
    toast('ok', 'Settings saved.');
    onClose();
  };

  // A network field's problem while sandbox is chosen (the field hidden) is said at the mode.
  const hiddenProblem = network ? undefined : NETWORK_FIELDS.map((f) => errors[f]).find(Boolean);
  // What each field shows as its problem (the mode shows a hidden network field's).
  const shown: Partial<Record<Field, string>> = {
    ...errors,
    chainMode:
      errors.chainMode ??
      (hiddenProblem && `${hiddenProblem} (a network setting: choose Network to correct it)`),
  };
  const modeChange =
    saved && form && form.chainMode !== saved.chainMode
      ? ' Saving stops the current chain and connects to this one.'
      : '';
  const input = (field: Field) => ({
    id: `settings-${field}`,
    value: form?.[field] ?? '',
    disabled: !form || saving,
    'aria-invalid': shown[field] ? true : undefined,
    'aria-describedby': `settings-${field}-note`,
    onChange: (e: { target: { value: string } }) => edit(field, e.target.value),
  });

  return (
    <div className="modal-backdrop" ref={backdrop}>
      <form
        className="modal settings-dialog"
        role="dialog"
        aria-modal="true"
        aria-label="Settings"
        data-testid="settings-dialog"
        onSubmit={(e) => void save(e)}
        noValidate
      >
        <header>
          <h3>Settings</h3>
        </header>
        <div className="modal-body">
          {!form && !readError && <p className="muted settings-note">Reading the settings…</p>}
          <fieldset className="settings-group">
            <legend>Import</legend>
            <FieldRow
              field="maxImportMegabytes"
              label="Maximum IFC import size (MB)"
              error={errors.maxImportMegabytes}
              note={`A file over this is refused when picked (${importMb.min}–${importMb.max} MB).`}
            >
              <input ref={firstField} type="number" step={1} {...importMb} {...input('maxImportMegabytes')} />
            </FieldRow>
          </fieldset>
          <fieldset className="settings-group">
            <legend>Vault</legend>
            <FieldRow
              field="vaultIdleLockMinutes"
              label="Vault auto-lock (minutes idle)"
              error={errors.vaultIdleLockMinutes}
              note={`The vault locks itself after this many minutes without use; a new value counts from when it is saved (${idleMinutes.min}–${idleMinutes.max}).`}
            >
              <input type="number" step={1} {...idleMinutes} {...input('vaultIdleLockMinutes')} />
            </FieldRow>
          </fieldset>
          <fieldset className="settings-group">
            <legend>Chain</legend>
            <FieldRow
              field="chainMode"
              label="Chain mode"
              error={shown.chainMode}
              note={
                (network
                  ? 'A JSON-RPC endpoint where the contracts are deployed.'
                  : 'An embedded chain on this machine; nothing leaves it.') + modeChange
              }
            >
              <select {...input('chainMode')}>
                <option value="sandbox">Sandbox</option>
                <option value="network">Network</option>
              </select>
            </FieldRow>
            {network && (
              <>
                <FieldRow
                  field="rpcUrl"
                  label="RPC URL"
                  error={errors.rpcUrl}
                  note="The JSON-RPC node the app reads and sends through; the status bar shows only its host."
                >
                  <input
                    type="url"
                    spellCheck={false}
                    placeholder="https://…"
                    autoComplete="off"
                    {...input('rpcUrl')}
                  />
                </FieldRow>
                <FieldRow
                  field="deploymentManifestPath"
                  label="Deployment manifest"
                  error={errors.deploymentManifestPath}
                  warning={
                    form?.deploymentManifestPath.trim() === ''
                      ? 'Without a manifest the app reaches the chain but not the contracts: nothing syncs until one is set.'
                      : undefined
                  }
                  note="The file npm run deploy wrote for that chain: a path on the machine that runs TwinLedger's services."
                >
                  <input spellCheck={false} autoComplete="off" {...input('deploymentManifestPath')} />
                </FieldRow>
                <FieldRow
                  field="syncConfirmations"
                  label="Sync confirmations (blocks)"
                  error={errors.syncConfirmations}
                  note={`Blocks the index stays behind the chain's head, so that a reorg does not undo what it showed (${confirmations.min}–${confirmations.max}).`}
                >
                  <input type="number" step={1} {...confirmations} {...input('syncConfirmations')} />
                </FieldRow>
              </>
            )}
          </fieldset>
          <fieldset className="settings-group">
            <legend>Appearance</legend>
            <FieldRow
              field="theme"
              label="Theme"
              group
              error={errors.theme}
              note={
                form?.theme === 'system'
                  ? 'Light or dark as the operating system is set, following it when it changes.'
                  : 'The same whatever the operating system is set to.'
              }
            >
              <div
                className="segmented"
                role="radiogroup"
                aria-labelledby="settings-theme-label"
                aria-describedby="settings-theme-note"
                aria-invalid={errors.theme ? true : undefined}
              >
                {THEMES.map(([value, label]) => (
                  <label key={value} className="segment">
                    <input
                      type="radio"
                      name="settings-theme"
                      value={value}
                      checked={form?.theme === value}
                      disabled={!form || saving}
                      onChange={(e) => edit('theme', e.target.value)}
                    />
                    {label}
                  </label>
                ))}
              </div>
            </FieldRow>
          </fieldset>
          {shownError && (
            <p className="form-error" role="alert" data-testid="settings-error">
              {shownError}
            </p>
          )}
        </div>
        <footer>
          <button
            type="button"
            className="button settings-defaults"
            disabled={!form || saving}
            onClick={restoreDefaults}
          >
            Restore defaults
          </button>
          <button type="button" className="button" disabled={saving} onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={!canSave}>
            {saving ? 'Saving…' : 'Save'}
          </button>
        </footer>
      </form>
    </div>
  );
}

/**
 * A labelled input with one line under it: the problem when there is one, else a warning or the
 * note. A `group` (radio buttons) is named by the label's id instead (aria-labelledby).
 */
function FieldRow({
  field,
  label,
  group,
  error,
  warning,
  note,
  children,
}: {
  field: Field;
  label: string;
  group?: boolean;
  error: string | undefined;
  warning?: string | undefined;
  note: string;
  children: ReactNode;
}) {
  return (
    <div className="field">
      {group ? (
        <span className="field-label" id={`settings-${field}-label`}>
          {label}
        </span>
      ) : (
        <label htmlFor={`settings-${field}`}>{label}</label>
      )}
      {children}
      <small
        id={`settings-${field}-note`}
        className={error ? 'form-error' : warning ? 'settings-warning' : 'muted'}
        data-testid={`settings-${field}-note`}
      >
        {error ?? warning ?? note}
      </small>
    </div>
  );
}
