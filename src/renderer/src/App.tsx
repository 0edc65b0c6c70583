// The app frame: title bar, twin list with the model navigator, 3D viewport, side panel, status bar.
import { TwinList } from './components/TwinList';
import { Navigator } from './components/Navigator';
import { Viewport } from './components/Viewport';
import { SidePanel } from './components/SidePanel';
import { StatusBar } from './components/StatusBar';
import { Toasts } from './components/Toasts';
import { WorkspaceProvider, useWorkspace } from './workspace';
import { EditingProvider } from './components/PendingChanges';

export function App() {
  return (
    <WorkspaceProvider>
      <EditingProvider>
        <div className="app-frame" data-testid="app-frame">
          <TitleBar />
          <main className="workspace">
            <div className="left-column">
              <TwinList />
              <Navigator />
            </div>
            <Viewport />
            <SidePanel />
          </main>
          <StatusBar />
          <Toasts />
        </div>
      </EditingProvider>
    </WorkspaceProvider>
  );
}

function TitleBar() {
  const { view, twins } = useWorkspace();
  const twin = view ? twins?.find((t) => t.id === view.twinId) : undefined;
  return (
    <header className="title-bar">
      <span className="brand">TwinLedger</span>
      {twin ? (
        <span className="title-twin" data-testid="open-twin-name">
          {twin.name}
          <span className="muted">
            {view?.review
              ? ` · reviewing draft v${twin.draft?.seq ?? ''}`
              : twin.draft && view?.versionId === twin.draft.id
                ? ` · draft v${twin.draft.seq} (pending edits on version ${twin.head?.seq ?? '?'})`
                : twin.head
                  ? ` · version ${twin.head.seq}`
                  : ''}
          </span>
        </span>
      ) : (
        <span className="muted">Digital twins, governed on chain</span>
      )}
    </header>
  );
}
