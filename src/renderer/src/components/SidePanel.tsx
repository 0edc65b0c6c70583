// The side panel: properties of the selection now; roles, history and maintenance tabs later.
import { useState } from 'react';

const tabs = ['Properties', 'History', 'Maintenance'] as const;
type Tab = (typeof tabs)[number];

export function SidePanel() {
  const [tab, setTab] = useState<Tab>('Properties');
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
          </button>
        ))}
      </div>
      <div className="empty-state" role="tabpanel">
        {tab === 'Properties' && <p>Select an element in the 3D view or the tree to see its properties.</p>}
        {tab === 'History' && <p>Open a twin to see its versions and who committed them.</p>}
        {tab === 'Maintenance' && <p>Open a twin to see its service logs and work orders.</p>}
      </div>
    </aside>
  );
}
