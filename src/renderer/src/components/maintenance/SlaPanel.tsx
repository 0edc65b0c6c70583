// SLA terms, bonds and penalties of a twin: admins set new terms (response and resolution times,
// penalty, provider, escalation contact); a provider posts, tops up or withdraws its bond; the owner
// withdraws penalties received. Each action is a transaction main signs after checking the role.
import { useState, type FormEvent } from 'react';
import { useApi } from '../../api-context';
import { useWorkspace } from '../../workspace';
import type { MaintenanceOverview } from '../../../../shared/api/maintenance';
import { formatAmount, formatDuration, parseAmount, shortAddress } from './format';

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const ETH_ASSET = '0x0000000000000000000000000000000000000000';
const isEthAsset = (address: string) => address.toLowerCase() === ETH_ASSET;

export function SlaPanel({
  overview,
  identities,
}: {
  overview: MaintenanceOverview;
  identities: { address: string; label: string }[];
}) {
  const terms = overview.terms;
  return (
    <div className="sla-panel" data-testid="sla-panel">
      <section className="maint-section">
        <h4>SLA terms</h4>
        {terms ? (
          <dl className="maint-facts" data-testid="sla-terms">
            <dt>Respond within</dt>
            <dd>{formatDuration(terms.responseSeconds)}</dd>
            <dt>Resolve within</dt>
            <dd>{formatDuration(terms.resolutionSeconds)}</dd>
            <dt>Penalty per breach</dt>
            <dd>{formatAmount(terms.penalty, terms.asset.decimals, terms.asset.symbol)}</dd>
            <dt>Provider</dt>
            <dd>
              {terms.provider ? (terms.providerLabel ?? shortAddress(terms.provider)) : 'assigned by hand'}
            </dd>
            <dt>Escalation</dt>
            <dd>{terms.escalationContactLabel ?? shortAddress(terms.escalationContact)}</dd>
          </dl>
        ) : (
          <p className="muted small">
            No SLA terms yet: work orders stay unassigned until an admin sets them.
          </p>
        )}
        {overview.may.administer ? (
          <TermsEditor overview={overview} identities={identities} />
        ) : (
          <p className="muted small">Only the twin's admins set SLA terms.</p>
        )}
      </section>
      <BondSection overview={overview} />
      <ClaimableSection overview={overview} />
    </div>
  );
}

function TermsEditor({
  overview,
  identities,
}: {
  overview: MaintenanceOverview;
  identities: { address: string; label: string }[];
}) {
  const api = useApi();
  const { toast } = useWorkspace();
  const t = overview.terms;
  const [open, setOpen] = useState(false);
  const [responseHours, setResponseHours] = useState(String((t?.responseSeconds ?? 4 * 3600) / 3600));
  const [resolutionHours, setResolutionHours] = useState(String((t?.resolutionSeconds ?? 48 * 3600) / 3600));
  const [penalty, setPenalty] = useState(t ? formatAmount(t.penalty, t.asset.decimals, '').trim() : '0.1');
  const [provider, setProvider] = useState(t?.provider ?? '');
  const [contact, setContact] = useState(t?.escalationContact ?? overview.owner ?? '');
  // Empty: penalties and bonds in ETH; an address: in that ERC-20.
  const [token, setToken] = useState(t && !isEthAsset(t.asset.address) ? t.asset.address : '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // The token typed in, when the app knows it (the current terms' or the sandbox's): its symbol and
  // decimals; another address is taken as an 18-decimal token and checked by main.
  const tokenAsset = token
    ? ([t?.asset, overview.sandboxCredit].find((a) => a?.address.toLowerCase() === token.toLowerCase()) ??
      null)
    : null;
  if (!open) {
    return (
      <button className="button small" onClick={() => setOpen(true)} data-testid="edit-sla">
        {t ? 'Set new terms…' : 'Set SLA terms…'}
      </button>
    );
  }
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const response = Math.round(Number(responseHours) * 3600);
    const resolution = Math.round(Number(resolutionHours) * 3600);
    const wei = parseAmount(penalty.replace(/,/g, ''), tokenAsset?.decimals ?? 18);
    if (!Number.isFinite(response) || response < 60)
      return setError('The response time must be at least a minute.');
    if (!Number.isFinite(resolution) || resolution < response)
      return setError('The resolution time must be at least the response time.');
    if (!wei) return setError(`The penalty must be an amount above 0 (in ${token ? 'the token' : 'ETH'}).`);
    if (token && !ADDRESS.test(token))
      return setError('The token must be an ERC-20 address (0x…), or empty for ETH.');
    if (provider && !ADDRESS.test(provider))
      return setError('The provider must be an address (0x…) or empty.');
    if (!ADDRESS.test(contact)) return setError('The escalation contact must be an address (0x…).');
    setBusy(true);
    setError(null);
    const r = await api.call('maintenance.setSlaTerms', {
      twinId: overview.twinId,
      provider: provider || null,
      penalty: wei,
      responseSeconds: response,
      resolutionSeconds: resolution,
      escalationContact: contact,
      ...(token ? { asset: token } : {}),
    });
    setBusy(false);
    if (!r.ok) return setError(r.error.message);
    toast('ok', r.value.summary);
    setOpen(false);
  };
  return (
    <form className="maint-form" onSubmit={(e) => void submit(e)} data-testid="sla-form">
      <p className="muted small">
        Terms on chain never change: new terms apply to work orders assigned from now on.
      </p>
      <div className="maint-row">
        <label className="field">
          <span>Respond within (h)</span>
          <input
            type="number"
            min="0.02"
            step="any"
            value={responseHours}
            onChange={(e) => setResponseHours(e.target.value)}
          />
        </label>
        <label className="field">
          <span>Resolve within (h)</span>
          <input
            type="number"
            min="0.02"
            step="any"
            value={resolutionHours}
            onChange={(e) => setResolutionHours(e.target.value)}
          />
        </label>
      </div>
      <div className="maint-row">
        <label className="field">
          <span>Penalty per breach ({token ? (tokenAsset?.symbol ?? 'tokens') : 'ETH'})</span>
          <input value={penalty} onChange={(e) => setPenalty(e.target.value)} inputMode="decimal" />
        </label>
        <label className="field">
          <span>Paid in (empty: ETH; or an ERC-20 address)</span>
          <input
            value={token}
            placeholder="ETH"
            onChange={(e) => setToken(e.target.value.trim())}
            spellCheck={false}
            data-testid="sla-token"
          />
        </label>
      </div>
      {overview.sandboxCredit && token.toLowerCase() !== overview.sandboxCredit.address.toLowerCase() && (
        <button
          type="button"
          className="link"
          onClick={() => setToken(overview.sandboxCredit!.address)}
          data-testid="use-sandbox-credit"
        >
          Use the sandbox's test token ({overview.sandboxCredit.symbol})
        </button>
      )}
      <AddressField
        label="Provider (assigned automatically once bonded)"
        value={provider}
        onChange={setProvider}
        identities={identities}
        allowEmpty
      />
      <AddressField
        label="Escalation contact"
        value={contact}
        onChange={setContact}
        identities={identities}
      />
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="maint-buttons">
        <button type="button" className="button small" onClick={() => setOpen(false)} disabled={busy}>
          Cancel
        </button>
        <button type="submit" className="button small primary" disabled={busy}>
          {busy ? 'Sending…' : 'Set terms'}
        </button>
      </div>
    </form>
  );
}

function AddressField({
  label,
  value,
  onChange,
  identities,
  allowEmpty = false,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  identities: { address: string; label: string }[];
  allowEmpty?: boolean;
}) {
  const known = identities.find((i) => i.address.toLowerCase() === value.toLowerCase());
  return (
    <label className="field">
      <span>{label}</span>
      <select
        value={known ? known.address : value ? 'other' : ''}
        onChange={(e) => e.target.value !== 'other' && onChange(e.target.value)}
      >
        {allowEmpty && <option value="">None (assign by hand)</option>}
        {identities.map((i) => (
          <option key={i.address} value={i.address}>
            {i.label}
          </option>
        ))}
        <option value="other">Another address…</option>
      </select>
      {!known && (value || !allowEmpty) && (
        <input
          value={value}
          placeholder="0x…"
          onChange={(e) => onChange(e.target.value.trim())}
          spellCheck={false}
        />
      )}
    </label>
  );
}

function BondSection({ overview }: { overview: MaintenanceOverview }) {
  const api = useApi();
  const { toast } = useWorkspace();
  const [amount, setAmount] = useState('0.5');
  const [busy, setBusy] = useState(false);
  // Bonds are posted in the asset of the current terms' penalties (ETH without terms).
  const asset = overview.terms?.asset ?? { address: ETH_ASSET, symbol: 'ETH', decimals: 18 };
  const token = !isEthAsset(asset.address);
  const mine = overview.bonds.find(
    (b) =>
      b.provider.toLowerCase() === overview.account?.toLowerCase() &&
      b.asset.address.toLowerCase() === asset.address.toLowerCase(),
  );
  const act = async (method: 'maintenance.postBond' | 'maintenance.withdrawBond') => {
    const units = parseAmount(amount, asset.decimals);
    if (!units) return toast('error', `Enter an amount above 0 (in ${asset.symbol}).`);
    setBusy(true);
    if (token && method === 'maintenance.postBond')
      toast('info', `Approving ${amount} ${asset.symbol} for the bond, then posting it…`);
    const r = await api.call(method, {
      twinId: overview.twinId,
      amount: units,
      ...(token ? { asset: asset.address } : {}),
    });
    setBusy(false);
    if (r.ok) toast('ok', r.value.summary);
    else toast('error', r.error.message);
  };
  return (
    <section className="maint-section">
      <h4>Provider bonds</h4>
      {overview.bonds.length === 0 ? (
        <p className="muted small">
          No provider has posted a bond for this twin: work orders cannot be assigned yet.
        </p>
      ) : (
        <table className="maint-table" data-testid="bonds">
          <tbody>
            {overview.bonds.map((b) => (
              <tr key={`${b.provider}/${b.asset.address}`}>
                <td>{b.providerLabel ?? shortAddress(b.provider)}</td>
                <td className="num">{formatAmount(b.balance, b.asset.decimals, b.asset.symbol)}</td>
                <td className="muted small">
                  {b.coversPenalties !== null
                    ? `${b.coversPenalties} penalt${b.coversPenalties === 1 ? 'y' : 'ies'}`
                    : ''}
                  {b.openOrders ? ` · ${b.openOrders} open` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {overview.unavailable === null && overview.account && (
        <div className="maint-inline">
          <input
            aria-label={`Bond amount in ${asset.symbol}`}
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            inputMode="decimal"
            className="amount"
          />
          <span className="muted small">{asset.symbol}</span>
          <button
            className="button small primary"
            disabled={busy}
            onClick={() => void act('maintenance.postBond')}
            data-testid="post-bond"
          >
            {mine ? 'Top up my bond' : 'Post a bond'}
          </button>
          {mine && (
            <button
              className="button small"
              disabled={busy || mine.openOrders > 0}
              title={mine.openOrders > 0 ? 'Open work orders depend on your bond' : 'Withdraw from your bond'}
              onClick={() => void act('maintenance.withdrawBond')}
            >
              Withdraw
            </button>
          )}
        </div>
      )}
    </section>
  );
}

function ClaimableSection({ overview }: { overview: MaintenanceOverview }) {
  const api = useApi();
  const { toast } = useWorkspace();
  const [busy, setBusy] = useState(false);
  // One withdrawal per asset penalties were paid in (ETH and any token the terms have named).
  const mine = overview.claimable.filter(
    (c) => c.account.toLowerCase() === overview.account?.toLowerCase() && BigInt(c.balance) > 0n,
  );
  const withdraw = (asset: string) => {
    setBusy(true);
    void api
      .call('maintenance.withdrawClaimable', {
        twinId: overview.twinId,
        ...(isEthAsset(asset) ? {} : { asset }),
      })
      .then((r) => {
        setBusy(false);
        if (r.ok) toast('ok', r.value.summary);
        else toast('error', r.error.message);
      });
  };
  return (
    <section className="maint-section">
      <h4>Penalties received</h4>
      {overview.claimable.length === 0 ? (
        <p className="muted small">No penalty has been paid to this twin's owner.</p>
      ) : (
        <table className="maint-table" data-testid="claimable">
          <tbody>
            {overview.claimable.map((c) => (
              <tr key={`${c.account}/${c.asset.address}`}>
                <td>{c.accountLabel ?? shortAddress(c.account)}</td>
                <td className="num">{formatAmount(c.balance, c.asset.decimals, c.asset.symbol)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {mine.map((c) => (
        <button
          key={c.asset.address}
          className="button small primary"
          disabled={busy}
          onClick={() => withdraw(c.asset.address)}
        >
          Withdraw {formatAmount(c.balance, c.asset.decimals, c.asset.symbol)}
        </button>
      ))}
    </section>
  );
}
