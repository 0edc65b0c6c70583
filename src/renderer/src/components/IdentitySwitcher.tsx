// The active identity in the status bar, and a menu to switch between the vault's identities (the
// sandbox's demo owner, engineer, crew, planner and sensor among them). Main re-judges what the new
// identity may do and pushes it; nothing here decides permissions. The menu also adds identities,
// locks and unlocks the vault and exports the active identity's key (dialogs in VaultDialogs).
import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi, useEvent } from '../api-context';
import type { Identity, VaultStatus } from '../../../shared/api/vault';
import { AddIdentityDialog, ExportDialog, UnlockDialog } from './VaultDialogs';

type VaultDialog = { kind: 'add' } | { kind: 'unlock' } | { kind: 'export'; identity: Identity };

const short = (address: string) => `${address.slice(0, 6)}…${address.slice(-4)}`;

export function IdentitySwitcher({ active }: { active: { label: string; address: string } | null }) {
  const api = useApi();
  const [open, setOpen] = useState(false);
  const [identities, setIdentities] = useState<Identity[]>([]);
  const [vault, setVault] = useState<VaultStatus | null>(null);
  const [dialog, setDialog] = useState<VaultDialog | null>(null);
  const [error, setError] = useState<string | null>(null);
  const menuRef = useRef<HTMLDivElement>(null);

  const load = useCallback(() => {
    void api.call('vault.list', {}).then((r) => (r.ok ? setIdentities(r.value) : setError(r.error.message)));
    void api.call('vault.status', {}).then((r) => r.ok && setVault(r.value));
  }, [api]);
  useEffect(load, [load]);
  useEvent('vault.changed', (status) => {
    setVault(status);
    load();
  });

  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent | KeyboardEvent) => {
      if (
        event instanceof KeyboardEvent
          ? event.key === 'Escape'
          : !menuRef.current?.contains(event.target as Node)
      ) {
        setOpen(false);
      }
    };
    window.addEventListener('mousedown', close);
    window.addEventListener('keydown', close);
    return () => {
      window.removeEventListener('mousedown', close);
      window.removeEventListener('keydown', close);
    };
  }, [open]);

  const choose = async (id: string) => {
    setOpen(false);
    const result = await api.call('vault.setActive', { id });
    setError(result.ok ? null : result.error.message);
  };

  const openDialog = (next: VaultDialog) => {
    setOpen(false);
    setError(null);
    setDialog(next);
  };

  const lock = async () => {
    setOpen(false);
    const result = await api.call('vault.lock', {});
    setError(result.ok ? null : result.error.message);
  };

  const activeIdentity = identities.find((identity) => identity.active) ?? null;
  const exportable = activeIdentity && activeIdentity.kind !== 'demo' ? activeIdentity : null;
  const locked = vault?.initialized ? vault.locked : null;

  return (
    <div className="identity-switcher" ref={menuRef}>
      {locked !== null && (
        <span
          className={locked ? 'vault-lock locked' : 'vault-lock'}
          data-testid="vault-lock-state"
          data-locked={locked}
          role="img"
          aria-label={locked ? 'Vault locked' : 'Vault unlocked'}
          title={locked ? 'The vault is locked: unlock it to sign' : 'The vault is unlocked'}
        >
          {locked ? '🔒' : '🔓'}
        </span>
      )}
      <button
        type="button"
        className="status-item status-button"
        data-testid="identity"
        title={active ? `${active.address} — click to switch identity` : 'No identity: create or import one'}
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
      >
        {active ? `${active.label} ${short(active.address)}` : 'No identity'}
      </button>
      {error && (
        <span className="status-item error" role="alert">
          {error}
        </span>
      )}
      {open && (
        <div className="identity-menu" role="menu" aria-label="Switch identity">
          {identities.map((identity) => (
            <button
              key={identity.id}
              type="button"
              role="menuitemradio"
              aria-checked={identity.active}
              className={identity.active ? 'identity-item active' : 'identity-item'}
              onClick={() => void choose(identity.id)}
            >
              <span className="identity-label">{identity.label}</span>
              <span className="muted">
                {short(identity.address)}
                {identity.demoRole ? ` · demo ${identity.demoRole}` : ''}
              </span>
            </button>
          ))}
          {identities.length > 0 && <div className="identity-separator" role="separator" />}
          <button
            type="button"
            role="menuitem"
            className="identity-item action"
            onClick={() => openDialog({ kind: 'add' })}
          >
            Add identity…
          </button>
          {vault?.initialized &&
            (vault.locked ? (
              <button
                type="button"
                role="menuitem"
                className="identity-item action"
                onClick={() => openDialog({ kind: 'unlock' })}
              >
                Unlock…
              </button>
            ) : (
              <button
                type="button"
                role="menuitem"
                className="identity-item action"
                onClick={() => void lock()}
              >
                Lock vault
              </button>
            ))}
          {exportable && (
            <button
              type="button"
              role="menuitem"
              className="identity-item action"
              onClick={() => openDialog({ kind: 'export', identity: exportable })}
            >
              Export…
            </button>
          )}
        </div>
      )}
      {dialog?.kind === 'add' && <AddIdentityDialog status={vault} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'unlock' && <UnlockDialog status={vault} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'export' && (
        <ExportDialog identity={dialog.identity} onClose={() => setDialog(null)} />
      )}
    </div>
  );
}
