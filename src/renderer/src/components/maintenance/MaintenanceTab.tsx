// The side panel's work-order tab: the board (which can expand across the window), the selected
// element's sensor charts, its rules, and the twin's SLA terms, bonds and penalties.
import { useCallback, useEffect, useState } from 'react';
import { useApi, useEvent } from '../../api-context';
import { useWorkspace } from '../../workspace';
import type { MaintenanceOverview } from '../../../../shared/api/maintenance';
import { WorkOrderBoard } from './WorkOrderBoard';
import { SensorCharts } from './SensorCharts';
import { RulesPanel } from './RulesPanel';
import { SlaPanel } from './SlaPanel';
import './maintenance.css';

const SECTIONS = ['Board', 'Sensors', 'Rules', 'SLA & bonds'] as const;
type Section = (typeof SECTIONS)[number];

export function MaintenanceTab() {
  const api = useApi();
  const { view, selection } = useWorkspace();
  const twinId = view?.twinId ?? null;
  const [section, setSection] = useState<Section>('Board');
  const [overview, setOverview] = useState<MaintenanceOverview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [identities, setIdentities] = useState<{ address: string; label: string }[]>([]);
  const [expanded, setExpanded] = useState(false);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  useEvent('maintenance.changed', (e) => (e.twinId === null || e.twinId === twinId) && reload());
  useEvent('sync.permissionsChanged', (e) => e.twinId === twinId && reload());
  useEvent('vault.changed', reload);
  useEvent('twins.changed', (e) => e.twinId === twinId && reload());

  useEffect(() => {
    if (!twinId) return;
    let live = true;
    void api.call('maintenance.overview', { twinId }).then((r) => {
      if (!live) return;
      if (r.ok) {
        setOverview(r.value);
        setError(null);
      } else setError(r.error.message);
    });
    void api.call('vault.list', {}).then((r) => {
      if (live && r.ok)
        setIdentities(
          r.value.map((i) => ({ address: i.address, label: i.label.replace(/ \(public demo key\)$/, '') })),
        );
    });
    return () => {
      live = false;
    };
  }, [api, twinId, tick]);

  useEffect(() => {
    if (!expanded) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setExpanded(false);
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [expanded]);

  if (!twinId) return <div className="empty-state">Open a twin to see its work orders, sensors and SLA.</div>;
  if (error) return <div className="empty-state error">Maintenance is unavailable: {error}</div>;
  if (!overview || overview.twinId !== twinId) return <div className="empty-state">Loading maintenance…</div>;
  const elementKey = selection.length === 1 ? selection[0]! : null;
  return (
    <div className="maintenance-tab" data-testid="maintenance-tab">
      <div className="maint-nav" role="tablist" aria-label="Maintenance">
        {SECTIONS.map((s) => (
          <button
            key={s}
            role="tab"
            aria-selected={s === section}
            className={s === section ? 'chip-button active' : 'chip-button'}
            onClick={() => setSection(s)}
          >
            {s}
            {s === 'Board' && overview.counts.overdue > 0 && (
              <span className="tab-count overdue" title="Overdue work orders">
                {overview.counts.overdue}
              </span>
            )}
          </button>
        ))}
      </div>
      {overview.unavailable && <p className="maint-banner small">{overview.unavailable}</p>}
      {section === 'Board' &&
        (expanded ? (
          <div className="wo-overlay" role="dialog" aria-label="Work-order board">
            <WorkOrderBoard overview={overview} expanded onToggleExpanded={() => setExpanded(false)} />
          </div>
        ) : (
          <WorkOrderBoard overview={overview} expanded={false} onToggleExpanded={() => setExpanded(true)} />
        ))}
      {section === 'Sensors' && <SensorCharts twinId={twinId} elementKey={elementKey} />}
      {section === 'Rules' && <RulesPanel overview={overview} elementKey={elementKey} />}
      {section === 'SLA & bonds' && <SlaPanel overview={overview} identities={identities} />}
    </div>
  );
}
