// Condition and usage rules (and the sensor channels they watch) of the selected element, or of the
// whole twin; admins add, edit (the chain replaces the rule) and remove them.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useApi, useEvent } from '../../api-context';
import { useWorkspace } from '../../workspace';
import type {
  Comparator,
  MaintenanceOverview,
  MaintenanceRule,
  RuleAction,
  SensorChannel,
} from '../../../../shared/api/maintenance';

const ACTIONS: { id: RuleAction; label: string; ref: string }[] = [
  { id: 'workOrder', label: 'open a work order', ref: 'Work kind' },
  { id: 'parts', label: 'request parts', ref: 'Part reference' },
  { id: 'alert', label: 'raise an alert only', ref: 'Alert code (optional)' },
];

export function RulesPanel({
  overview,
  elementKey,
}: {
  overview: MaintenanceOverview;
  elementKey: string | null;
}) {
  const api = useApi();
  const { toast } = useWorkspace();
  const [data, setData] = useState<{ rules: MaintenanceRule[]; sensors: SensorChannel[] } | null>(null);
  const [editing, setEditing] = useState<MaintenanceRule | 'new' | null>(null);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  useEvent('maintenance.changed', (e) => (e.twinId === null || e.twinId === overview.twinId) && reload());
  useEffect(() => {
    let live = true;
    void api
      .call('maintenance.rules', { twinId: overview.twinId, ...(elementKey ? { elementKey } : {}) })
      .then((r) => live && r.ok && setData(r.value));
    return () => {
      live = false;
    };
  }, [api, overview.twinId, elementKey, tick]);
  useEffect(() => setEditing(null), [elementKey]);

  const remove = async (rule: MaintenanceRule) => {
    const r = await api.call('maintenance.removeRule', { twinId: overview.twinId, ruleId: rule.ruleId });
    if (r.ok) toast('ok', r.value.summary);
    else toast('error', r.error.message);
    reload();
  };

  if (!data) return <div className="empty-state small-pad">Loading rules…</div>;
  return (
    <div className="rules-panel" data-testid="rules-panel">
      <section className="maint-section">
        <h4>{elementKey ? 'Sensors on this element' : 'Sensors of this twin'}</h4>
        {data.sensors.length === 0 ? (
          <p className="muted small">
            No sensor key is registered on chain {elementKey ? 'for this element' : 'for this twin'}: readings
            cannot open work orders here.
          </p>
        ) : (
          <table className="maint-table">
            <tbody>
              {data.sensors.map((s) => (
                <tr key={`${s.elementKey}/${s.metric}`} className={s.active ? '' : 'muted'}>
                  {!elementKey && <td>{s.elementName ?? s.globalId}</td>}
                  <td>{s.metric}</td>
                  <td className="small">
                    {s.minValue} … {s.maxValue}
                  </td>
                  <td className="small">{s.active ? (s.sensorLabel ?? s.sensor.slice(0, 10)) : 'revoked'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="maint-section">
        <h4>Rules</h4>
        {data.rules.length === 0 ? (
          <p className="muted small">No rules{elementKey ? ' on this element' : ''}.</p>
        ) : (
          <ul className="rule-list">
            {data.rules.map((rule) => (
              <li key={rule.ruleId} className="rule-item" data-testid="rule-item">
                <div>
                  {!elementKey && <span className="muted">{rule.elementName ?? rule.globalId} · </span>}
                  <strong>{rule.metric}</strong>{' '}
                  {rule.kind === 'usage'
                    ? `used ≥ ${rule.threshold} (since ${rule.baseline})`
                    : `${rule.comparator} ${rule.threshold}`}{' '}
                  → {ACTIONS.find((a) => a.id === rule.action)?.label}
                  {rule.actionRef ? ` "${rule.actionRef}"` : ''}
                  {rule.openOrderId && <span className="chip">order open</span>}
                </div>
                {overview.may.administer && (
                  <div className="rule-actions">
                    <button className="link" onClick={() => setEditing(rule)}>
                      Edit
                    </button>
                    <button className="link" onClick={() => void remove(rule)}>
                      Remove
                    </button>
                  </div>
                )}
              </li>
            ))}
          </ul>
        )}
        {overview.may.administer ? (
          editing ? (
            <RuleForm
              twinId={overview.twinId}
              elementKey={editing === 'new' ? elementKey : editing.elementKey}
              rule={editing === 'new' ? null : editing}
              metrics={[...new Set(data.sensors.map((s) => s.metric))]}
              onDone={() => {
                setEditing(null);
                reload();
              }}
            />
          ) : (
            <button
              className="button small"
              disabled={!elementKey}
              title={
                elementKey ? 'Add a rule on the selected element' : 'Select an element to add a rule on it'
              }
              onClick={() => setEditing('new')}
              data-testid="add-rule"
            >
              Add a rule…
            </button>
          )
        ) : (
          <p className="muted small">Only the twin's admins edit rules.</p>
        )}
      </section>
    </div>
  );
}

function RuleForm({
  twinId,
  elementKey,
  rule,
  metrics,
  onDone,
}: {
  twinId: string;
  elementKey: string | null;
  rule: MaintenanceRule | null;
  metrics: string[];
  onDone: () => void;
}) {
  const api = useApi();
  const { toast } = useWorkspace();
  const [metric, setMetric] = useState(rule?.metric ?? metrics[0] ?? 'vibration_mm_s');
  const [kind, setKind] = useState<'condition' | 'usage'>(rule?.kind ?? 'condition');
  const [comparator, setComparator] = useState<Comparator>(rule?.comparator ?? '>');
  const [threshold, setThreshold] = useState(String(rule?.threshold ?? ''));
  const [baseline, setBaseline] = useState(String(rule?.baseline ?? 0));
  const [action, setAction] = useState<RuleAction>(rule?.action ?? 'workOrder');
  const [actionRef, setActionRef] = useState(rule?.actionRef ?? 'inspection');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!elementKey) return null;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const value = Number(threshold);
    if (threshold.trim() === '' || !Number.isFinite(value))
      return setError('The threshold must be a number.');
    if (kind === 'usage' && value <= 0) return setError('A usage rule needs a life limit above 0.');
    if (action !== 'alert' && !actionRef.trim()) return setError('Name the work kind or part reference.');
    setBusy(true);
    setError(null);
    const fields = {
      twinId,
      element: { elementKey },
      metric: metric.trim(),
      kind,
      threshold: value,
      action,
      ...(kind === 'condition' ? { comparator } : { baseline: Number(baseline) || 0 }),
      ...(actionRef.trim() ? { actionRef: actionRef.trim() } : {}),
    };
    const r = rule
      ? await api.call('maintenance.editRule', { ...fields, ruleId: rule.ruleId })
      : await api.call('maintenance.addRule', fields);
    setBusy(false);
    if (!r.ok) return setError(r.error.message);
    toast('ok', r.value.summary);
    onDone();
  };
  const refLabel = ACTIONS.find((a) => a.id === action)!.ref;
  return (
    <form className="maint-form" onSubmit={(e) => void submit(e)} data-testid="rule-form">
      {rule && (
        <p className="muted small">Rules on chain never change: saving replaces this rule with a new one.</p>
      )}
      <div className="maint-row">
        <label className="field">
          <span>Metric</span>
          <input
            value={metric}
            onChange={(e) => setMetric(e.target.value)}
            list="rule-metrics"
            maxLength={31}
          />
          <datalist id="rule-metrics">
            {metrics.map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
        </label>
        <label className="field">
          <span>Watches</span>
          <select value={kind} onChange={(e) => setKind(e.target.value as 'condition' | 'usage')}>
            <option value="condition">each reading</option>
            <option value="usage">usage (running hours, cycles)</option>
          </select>
        </label>
      </div>
      <div className="maint-row">
        {kind === 'condition' ? (
          <label className="field narrow">
            <span>When</span>
            <select value={comparator} onChange={(e) => setComparator(e.target.value as Comparator)}>
              {(['>', '>=', '<', '<='] as const).map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <label className="field">
            <span>Counted from</span>
            <input type="number" step="any" value={baseline} onChange={(e) => setBaseline(e.target.value)} />
          </label>
        )}
        <label className="field">
          <span>{kind === 'condition' ? 'Threshold' : 'Life limit'}</span>
          <input
            type="number"
            step="any"
            value={threshold}
            onChange={(e) => setThreshold(e.target.value)}
            data-testid="rule-threshold"
          />
        </label>
      </div>
      <div className="maint-row">
        <label className="field">
          <span>A breach should</span>
          <select value={action} onChange={(e) => setAction(e.target.value as RuleAction)}>
            {ACTIONS.map((a) => (
              <option key={a.id} value={a.id}>
                {a.label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{refLabel}</span>
          <input value={actionRef} maxLength={31} onChange={(e) => setActionRef(e.target.value)} />
        </label>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="maint-buttons">
        <button type="button" className="button small" onClick={onDone} disabled={busy}>
          Cancel
        </button>
        <button type="submit" className="button small primary" disabled={busy} data-testid="rule-save">
          {busy ? 'Sending…' : rule ? 'Replace rule' : 'Add rule'}
        </button>
      </div>
    </form>
  );
}
