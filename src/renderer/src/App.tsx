// The app frame: title bar, twin list, 3D viewport, side panel and status bar.
import { TwinList } from './components/TwinList';
import { Viewport } from './components/Viewport';
import { SidePanel } from './components/SidePanel';
import { StatusBar } from './components/StatusBar';

export function App() {
  return (
    <div className="app-frame" data-testid="app-frame">
      <header className="title-bar">
        <span className="brand">TwinLedger</span>
        <span className="muted">Digital twins, governed on chain</span>
      </header>
      <main className="workspace">
        <TwinList />
        <Viewport />
        <SidePanel />
      </main>
      <StatusBar />
    </div>
  );
}
