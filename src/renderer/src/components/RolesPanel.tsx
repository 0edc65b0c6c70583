// Roles on the open twin: its grants with their end dates (from the chain index), and for admins
// grant with an end date, revoke and end engagement, each one transaction signed in main by the
// active identity. Everyone else sees the list read-only with the reason.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useApi, useEvent } from '../api-context';
import { useWorkspace } from '../workspace';
import type { RoleGrantView, RoleTransaction, TwinRoles } from '../../../shared/api/roles';
import type { Result } from '../../../shared/result';
import type { SyncRole } from '../../../shared/api/sync';
import { Icon } from './icons';
import { CopyButton } from './MaintenancePanel';
import '../styles/ledger-panels.css';

const ROLES: SyncRole[] = ['ADMIN', 'EDITOR', 'MAINTAINER', 'VIEWER', 'SENSOR'];
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

const dateOf = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);
/** A date input's day, as the end of that day in UTC (a grant "until 2026-12-01" covers that day). */
const endOfDay = (date: string) => Math.floor(Date.parse(`${date}T23:59:59Z`) / 1000);

export function RolesPanel() {
  const api = useApi();
  const { view, toast } = useWorkspace();
  const twinId = view?.twinId;
  const [roles, setRoles] = useState<TwinRoles | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const refresh = useCallback(() => setTick((n) => n + 1), []);

  useEffect(() => {
    if (!twinId) return;
    let live = true;
    void api.call('roles.list', { twinId }).then((r) => {
      if (!live) return;
      if (r.ok) {
        setRoles(r.value);
        setError(null);
      } else setError(r.error.message);
    });
    return () => {
      live = false;
    };
  }, [api, twinId, tick]);
  useEvent('sync.permissionsChanged', (p) => p.twinId === twinId && refresh());
  useEvent('timeline.changed', (e) => (e.twinId === null || e.twinId === twinId) && refresh());
  useEvent('vault.changed', refresh);

  if (!view) return <div className="empty-state">Open a twin to see who holds which role on it.</div>;
  if (error && !roles) return <div className="empty-state error">{error}</div>;
  if (!roles) return <div className="empty-state">Reading the roles…</div>;

  const act = async (label: string, run: () => Promise<Result<RoleTransaction>>) => {
    setBusy(label);
    const r = await run();
    setBusy(null);
    if (r.ok) toast('ok', `${r.value.summary} (block ${r.value.blockNumber}).`);
    else toast('error', r.error.message);
    refresh();
    return r.ok;
  };

  const accounts = new Map<string, RoleGrantView[]>();
  for (const g of roles.grants) accounts.set(g.account, [...(accounts.get(g.account) ?? []), g]);

  return (
    <div className="ledger-panel roles" data-testid="roles-panel">
      <div className="ledger-section">
        <h4>Roles on chain</h4>
        {roles.owner && (
          <div className="ledger-row">
            <span className="grow">
              Owner: <strong>{roles.ownerLabel ?? roles.owner}</strong>{' '}
              <span className="muted">(admin by ownership; cannot be revoked)</span>
            </span>
          </div>
        )}
        {!roles.mayAdminister && roles.reason && (
          <div className="gate-reason" data-testid="roles-reason">
            <Icon name="lock" size={12} /> {roles.reason}
          </div>
        )}
      </div>
      {roles.grants.length === 0 ? (
        <div className="empty-state">
          <p className="empty-title">No grants</p>
          <p>
            {roles.chainTwinId === null
              ? 'Register the twin on chain first; roles live on chain.'
              : 'Nobody but the owner holds a role. Grant one below.'}
          </p>
        </div>
      ) : (
        <table className="grant-table" data-testid="grant-table">
          <thead>
            <tr>
              <th>Account</th>
              <th>Role</th>
              <th>Ends</th>
              {roles.mayAdminister && <th aria-label="Actions" />}
            </tr>
          </thead>
          <tbody>
            {[...accounts.entries()].flatMap(([account, grants]) =>
              grants.map((g, i) => (
                <tr
                  key={`${account}-${g.role}`}
                  className={g.live ? '' : 'ended'}
                  data-testid="grant-row"
                  data-account={account}
                  data-role={g.role}
                >
                  <td>
                    {i === 0 && (
                      <div className="account-cell">
                        <span>{g.label ?? 'Unknown account'}</span>
                        <span className="hash muted" title={account}>
                          {account.slice(0, 8)}…{account.slice(-4)}
                          <CopyButton text={account} label="Address" />
                        </span>
                        {roles.mayAdminister && (
                          <button
                            className="link"
                            disabled={busy !== null}
                            title="Drop every role of this account on the twin, in one transaction"
                            onClick={() => {
                              const who = g.label ?? account;
                              if (
                                !window.confirm(
                                  `End the engagement of ${who}? Every role they hold on this twin goes.`,
                                )
                              )
                                return;
                              void act(`end ${account}`, () =>
                                api.call('roles.endEngagement', { twinId: roles.twinId, account }),
                              );
                            }}
                          >
                            End engagement
                          </button>
                        )}
                      </div>
                    )}
                  </td>
                  <td>{g.role}</td>
                  <td title={`Granted by ${g.grantedBy} in block ${g.blockNumber}, tx ${g.txHash}`}>
                    {g.expiresAt === null ? 'no end' : dateOf(g.expiresAt)}
                    {!g.live && <span className="chip failed">ended</span>}
                  </td>
                  {roles.mayAdminister && (
                    <td>
                      <button
                        className="button small"
                        disabled={busy !== null}
                        aria-label={`Revoke ${g.role} from ${g.label ?? account}`}
                        onClick={() =>
                          void act(`revoke ${account} ${g.role}`, () =>
                            api.call('roles.revoke', { twinId: roles.twinId, role: g.role, account }),
                          )
                        }
                      >
                        {busy === `revoke ${account} ${g.role}` ? 'Revoking…' : 'Revoke'}
                      </button>
                    </td>
                  )}
                </tr>
              )),
            )}
          </tbody>
        </table>
      )}
      {roles.chainTwinId !== null && (
        <GrantForm
          roles={roles}
          busy={busy !== null}
          onGrant={(request) =>
            act('grant', () => api.call('roles.grant', { twinId: roles.twinId, ...request }))
          }
        />
      )}
    </div>
  );
}

function GrantForm({
  roles,
  busy,
  onGrant,
}: {
  roles: TwinRoles;
  busy: boolean;
  onGrant: (request: { role: SyncRole; account: string; expiresAt: number | null }) => Promise<boolean>;
}) {
  const api = useApi();
  const [identities, setIdentities] = useState<{ label: string; address: string }[]>([]);
  const [account, setAccount] = useState('');
  const [role, setRole] = useState<SyncRole>('EDITOR');
  const [until, setUntil] = useState(() => dateOf(Math.floor(Date.now() / 1000) + 90 * 24 * 3600));
  const [noEnd, setNoEnd] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  useEffect(() => {
    void api.call('vault.list', {}).then((r) => r.ok && setIdentities(r.value));
  }, [api]);
  // Another identity (or a lost admin role): an earlier complaint no longer applies.
  useEffect(() => setFormError(null), [roles.mayAdminister]);

  const disabled = !roles.mayAdminister;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFormError(null);
    const address = account.trim();
    if (!ADDRESS.test(address)) {
      setFormError('Pick an identity or paste an address (0x and 40 hex digits).');
      return;
    }
    const expiresAt = noEnd ? null : endOfDay(until);
    if (
      expiresAt !== null &&
      (!Number.isFinite(expiresAt) || (roles.chainTime !== null && expiresAt <= roles.chainTime))
    ) {
      setFormError('The end date must be in the future.');
      return;
    }
    if (await onGrant({ role, account: address, expiresAt })) setAccount('');
  };

  return (
    <form className="ledger-section" data-testid="grant-form" onSubmit={(e) => void submit(e)}>
      <h4>Grant a role</h4>
      <label className="field">
        <span>Account</span>
        <input
          type="text"
          list="known-identities"
          placeholder="0x… or pick an identity"
          value={account}
          onChange={(e) => setAccount(e.target.value)}
          disabled={disabled}
          aria-label="Account"
          className="ledger-input"
        />
        <datalist id="known-identities">
          {identities.map((i) => (
            <option key={i.address} value={i.address}>
              {i.label}
            </option>
          ))}
        </datalist>
      </label>
      <div className="ledger-row">
        <label className="ledger-row">
          <span className="muted">Role</span>
          <select
            value={role}
            onChange={(e) => setRole(e.target.value as SyncRole)}
            disabled={disabled}
            aria-label="Role"
          >
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label className="ledger-row">
          <span className="muted">Until</span>
          <input
            type="date"
            value={until}
            onChange={(e) => setUntil(e.target.value)}
            disabled={disabled || noEnd}
            aria-label="Until"
          />
        </label>
        <label className="ledger-row">
          <input
            type="checkbox"
            checked={noEnd}
            onChange={(e) => setNoEnd(e.target.checked)}
            disabled={disabled}
          />
          <span className="muted">no end</span>
        </label>
      </div>
      {formError && (
        <p className="form-error" role="alert">
          {formError}
        </p>
      )}
      <div className="ledger-row">
        <span className="muted grow">One transaction, signed by your active identity.</span>
        <button type="submit" className="button primary small" disabled={disabled || busy}>
          {disabled && <Icon name="lock" size={12} />} {busy ? 'Working…' : 'Grant'}
        </button>
      </div>
    </form>
  );
}
