// The active identity in the status bar, and a menu to switch between the vault's identities (the
// sandbox's demo owner, engineer, crew, planner and sensor among them). Main re-judges what the new
// identity may do and pushes it; nothing here decides permissions.
import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi, useEvent } from '../api-context';
import type { Identity } from '../../../shared/api/vault';

const short = (address: string) => `${address.slice(0, 6)}…${address.slice(-4)}`;

export function IdentitySwitcher({ active }: { active: { label: string; address: string } | null }) {
  const api = useApi();
  const [open, setOpen] = useState(false);
  const [identities, setIdentities] = useState<Identity[]>([]);
  const [error, setError] = useState<string | null>(null);
  const menuRef = useRef<HTMLDivElement>(null);

  const load = useCallback(() => {
    void api.call('vault.list', {}).then((r) => (r.ok ? setIdentities(r.value) : setError(r.error.message)));
  }, [api]);
  useEffect(load, [load]);
  useEvent('vault.changed', load);

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

  return (
    <div className="identity-switcher" ref={menuRef}>
      <button
        type="button"
        className="status-item status-button"
        data-testid="identity"
        title={active ? `${active.address} — click to switch identity` : 'No identity: create or import one'}
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
        disabled={identities.length === 0}
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
        </div>
      )}
    </div>
  );
}
