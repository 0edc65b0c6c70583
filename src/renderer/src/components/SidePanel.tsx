// The side panel: the selection's properties, the draft's changes under review, the twin's versions,
// the maintenance timeline (logging service too) and the twin's roles.
import { useEffect, useState } from 'react';
import { useWorkspace } from '../workspace';
import { PropertiesPanel } from './PropertiesPanel';
import { ChangesPanel } from './ChangesPanel';
import { MaintenanceTab } from './maintenance/MaintenanceTab';
import { MaintenancePanel } from './MaintenancePanel';
import { RolesPanel } from './RolesPanel';
import { HistoryPanel } from './HistoryPanel';
import { useEditing } from './PendingChanges';

const tabs = ['Properties', 'Changes', 'History', 'Maintenance', 'Orders', 'Roles'] as const;
type Tab = (typeof tabs)[number];

export function SidePanel() {
  const [tab, setTab] = useState<Tab>('Properties');
  const { view, changeset } = useWorkspace();
  const { draft, panelRequest } = useEditing();
  const review = view?.review ?? false;
  const pending = draft?.edits.filter((e) => !e.undone).length ?? 0;
  // Reviewing a draft brings its changes forward; leaving review goes back to the properties.
  useEffect(() => setTab(review ? 'Changes' : 'Properties'), [review]);
  useEffect(() => {
    if (panelRequest) setTab(panelRequest.tab);
  }, [panelRequest]);
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
            ) : t === 'Changes' && !review && pending > 0 ? (
              <span className="tab-count" data-testid="pending-tab-count">
                {pending}
              </span>
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
