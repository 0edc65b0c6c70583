// The twin list: every twin in the local cache. Empty until a model is imported.
export function TwinList() {
  return (
    <nav className="twin-list" aria-label="Twins">
      <header className="panel-header">
        <h2>Twins</h2>
      </header>
      <div className="empty-state" data-testid="twin-list-empty">
        <p className="empty-title">No twins yet</p>
        <p>
          Import an IFC model to create your first digital twin. The sandbox sample appears here once the
          chain is running.
        </p>
      </div>
    </nav>
  );
}
