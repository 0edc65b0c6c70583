// The side panel: the selection's properties, the draft's changes under review, the twin's versions,
// the maintenance timeline (logging service too) and the twin's roles.
import { useEffect, useState } from 'react';
import { useApi, useEvent } from '../api-context';
import { useWorkspace } from '../workspace';
import { PropertiesPanel } from './PropertiesPanel';
import { ChangesPanel } from './ChangesPanel';
import { MaintenanceTab } from './maintenance/MaintenanceTab';
import { MaintenancePanel } from './MaintenancePanel';
import { RolesPanel } from './RolesPanel';
import type { VersionSummary } from '../../../shared/api/twins';
import { Icon } from './icons';

const tabs = ['Properties', 'Changes', 'History', 'Maintenance', 'Orders', 'Roles'] as const;
type Tab = (typeof tabs)[number];

export function SidePanel() {
  const [tab, setTab] = useState<Tab>('Properties');
  const { view, changeset } = useWorkspace();
  const review = view?.review ?? false;
  // Reviewing a draft brings its changes forward; leaving review goes back to the properties.
  useEffect(() => setTab(review ? 'Changes' : 'Properties'), [review]);
  return (
    <aside className="side-panel" aria-label="Details">
      <div className="tabs" role="tablist">
        {tabs.map((t) => (
          <button
            key={t}
            role="tab"
            aria-selected={t === tab}
            className={t === tab ? 'tab active' : 'tab'}
            onClick={() => setTab(t)}
          >
            {t}
            {t === 'Changes' && review && changeset ? (
              <span className="tab-count">{changeset.entries.length}</span>
            ) : null}
          </button>
        ))}
      </div>
      <div className="tab-body" role="tabpanel" aria-label={tab}>
        {tab === 'Properties' && <PropertiesPanel />}
        {tab === 'Changes' && <ChangesPanel />}
        {tab === 'History' && <HistoryPanel />}
        {tab === 'Maintenance' && <MaintenancePanel />}
        {tab === 'Orders' && <MaintenanceTab />}
        {tab === 'Roles' && <RolesPanel />}
      </div>
    </aside>
  );
}

const when = (ms: number) => new Date(ms).toLocaleString();

function HistoryPanel() {
  const api = useApi();
  const { view, twins, reviewDraft, openTwin } = useWorkspace();
  const [versions, setVersions] = useState<VersionSummary[] | null>(null);
  const twinId = view?.twinId;
  const [tick, setTick] = useState(0);
  useEvent('twins.changed', (e) => e.twinId === twinId && setTick((n) => n + 1));
  useEffect(() => {
    if (!twinId) return;
    let live = true;
    void api.call('twins.versions', { twinId }).then((r) => live && r.ok && setVersions(r.value));
    return () => {
      live = false;
    };
  }, [api, twinId, tick]);
  if (!view)
    return <div className="empty-state">Open a twin to see its versions and who committed them.</div>;
  const twin = twins?.find((t) => t.id === view.twinId);
  if (!versions) return <div className="empty-state">Loading versions…</div>;
  return (
    <div className="history">
      <ol className="timeline">
        {[...versions].reverse().map((v) => (
          <li key={v.id} className={`timeline-entry ${v.status}${view.versionId === v.id ? ' current' : ''}`}>
            <div className="timeline-head">
              <strong>Version {v.seq}</strong>
              <span className={`chip ${v.status}`}>{v.status === 'confirmed' ? 'on chain' : v.status}</span>
              {twin?.head?.id === v.id && <span className="chip">head</span>}
            </div>
            <div className="muted">
              {when(v.committedAt ?? v.createdAt)} · {v.elementCount.toLocaleString()} elements
            </div>
            {v.changeset && (
              <div className="timeline-counts">
                <span className="added">+{v.changeset.added}</span>{' '}
                <span className="modified">~{v.changeset.modified}</span>{' '}
                <span className="removed">−{v.changeset.removed}</span>
              </div>
            )}
            <div className="muted small">
              Author and transaction: recorded when the version is synced to the chain.
            </div>
            {v.status === 'draft' && view.versionId !== v.id && (
              <button className="link" onClick={() => reviewDraft(view.twinId, v.id)}>
                Review draft
              </button>
            )}
            {v.status !== 'draft' && view.review && twin?.head?.id === v.id && (
              <button className="link" onClick={() => openTwin(view.twinId)}>
                Show head
              </button>
            )}
          </li>
        ))}
      </ol>
      <button className="button small" disabled title="Needs version-to-version diffs from the sync layer">
        <Icon name="lock" size={12} /> Compare two versions
      </button>
    </div>
  );
}
