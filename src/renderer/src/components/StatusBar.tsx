// The status bar: chain mode, active identity, connectivity and the host's health, live. The
// outbox counts open the outbox; in sandbox mode the node can be stopped and started again, to
// rehearse offline work (signed work queues while it is stopped and is sent when it is back). The
// gear (or Ctrl+,) opens the settings.
import { useEffect, useState } from 'react';
import { useApi, useEvent, useQuery } from '../api-context';
import type { ChainStatus, SessionStatus } from '../../../shared/api';
import { useWorkspace } from '../workspace';
import { IdentitySwitcher } from './IdentitySwitcher';
import { SyncIndicator } from './SyncIndicator';
import { OutboxPanel } from './OutboxPanel';
import { SettingsDialog } from './SettingsDialog';
import { Icon } from './icons';
import { isModalOpen } from './modal-keys';

/** Cmd on macOS, Ctrl elsewhere: how shortcuts are written in titles. */
const settingsShortcut = /Mac/.test(navigator.platform) ? '⌘,' : 'Ctrl+,';

export function StatusBar() {
  const api = useApi();
  const info = useQuery('app.info', {});
  const [status, setStatus] = useState<SessionStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [outboxOpen, setOutboxOpen] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  // Ctrl+Shift+O (Cmd+Shift+O) opens the outbox from anywhere; Ctrl+, (Cmd+,) the settings, unless
  // a dialog is already open (one over an import in progress, say, or the settings themselves).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.shiftKey && e.key.toLowerCase() === 'o') {
        e.preventDefault();
        setOutboxOpen((open) => !open);
      } else if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key === ',') {
        e.preventDefault();
        if (!isModalOpen()) setSettingsOpen(true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  useEffect(() => {
    void api.call('app.status', {}).then((r) => (r.ok ? setStatus(r.value) : setError(r.error.message)));
  }, [api]);
  useEvent('app.statusChanged', setStatus);

  return (
    <footer className="status-bar" data-testid="status-bar">
      {error ? (
        <span className="status-item error" role="alert">
          {error}
        </span>
      ) : (
        <>
          <span className="status-item" data-testid="chain-mode" title="Chain mode">
            <span className={`dot ${status?.online ? 'online' : 'offline'}`} aria-hidden />
            {status ? status.chainLabel : 'Connecting…'}
            {status && !status.online && <span className="muted"> · offline</span>}
          </span>
          <SandboxNodeToggle />
          <IdentitySwitcher active={status?.identity ?? null} />
        </>
      )}
      <SyncIndicator onOpenOutbox={() => setOutboxOpen(true)} />
      <span className="spacer" />
      <ViewerStats />
      <span className="status-item muted" data-testid="app-version">
        {info.state === 'ready' ? `TwinLedger ${info.value.version} · ${info.value.host}` : ''}
      </span>
      <button
        type="button"
        className="status-item status-button settings-button"
        aria-label="Settings"
        title={`Settings (${settingsShortcut})`}
        data-testid="open-settings"
        onClick={() => setSettingsOpen(true)}
      >
        <Icon name="settings" size={14} />
      </button>
      {outboxOpen && <OutboxPanel onClose={() => setOutboxOpen(false)} />}
      {settingsOpen && <SettingsDialog onClose={() => setSettingsOpen(false)} />}
    </footer>
  );
}

const isSeeding = (state: string) => state === 'pending' || state === 'running';

/** Sandbox only: stop the embedded node (offline rehearsal) or start it again. */
function SandboxNodeToggle() {
  const api = useApi();
  const { toast } = useWorkspace();
  const [chain, setChain] = useState<ChainStatus | null>(null);
  const [busy, setBusy] = useState(false);
  const [seeding, setSeeding] = useState(false);
  useEffect(() => {
    void api.call('chain.status', {}).then((r) => r.ok && setChain(r.value));
    void api.call('sync.status', {}).then((r) => r.ok && setSeeding(isSeeding(r.value.seeding.state)));
  }, [api]);
  useEvent('chain.statusChanged', setChain);
  useEvent('sync.statusChanged', (s) => setSeeding(isSeeding(s.seeding.state)));
  if (!chain || chain.mode !== 'sandbox') return null;
  const running = chain.state === 'ready' || chain.state === 'starting';
  const toggle = async () => {
    setBusy(true);
    const r = await api.call('chain.setSandboxRunning', { running: !running });
    setBusy(false);
    if (!r.ok) toast('error', r.error.message);
    else
      toast(
        'info',
        running
          ? 'Sandbox node stopped: you are offline. Signed work waits in the outbox.'
          : 'Sandbox node started: the outbox sends what waited.',
      );
  };
  return (
    <button
      className="status-item link sandbox-toggle"
      data-testid="sandbox-node-toggle"
      disabled={busy || chain.state === 'starting' || (running && seeding)}
      onClick={() => void toggle()}
      title={
        running && seeding
          ? 'The sandbox is still being prepared: its node can be stopped once that is done'
          : running
            ? 'Stop the sandbox node to work offline (its blocks are kept)'
            : 'Start the sandbox node again: queued work is sent'
      }
    >
      {busy ? '…' : running ? 'Go offline' : 'Go online'}
    </button>
  );
}

/** Draw calls, materials and frame rate of the open model, refreshed every second. */
function ViewerStats() {
  const { viewer, loadSummary } = useWorkspace();
  const [stats, setStats] = useState<{
    drawCalls: number;
    materials: number;
    fps: number;
    frameMs: number;
  } | null>(null);
  useEffect(() => {
    if (!loadSummary) {
      setStats(null);
      return;
    }
    const tick = () => {
      const s = viewer()?.stats();
      if (s) setStats({ drawCalls: s.drawCalls, materials: s.materials, fps: s.fps, frameMs: s.frameMs });
    };
    tick();
    const timer = setInterval(tick, 1000);
    return () => clearInterval(timer);
  }, [viewer, loadSummary]);
  if (!loadSummary || !stats) return null;
  return (
    <span
      className="status-item muted"
      data-testid="viewer-stats"
      title="Model statistics (frames are drawn on demand)"
    >
      {loadSummary.elements.toLocaleString()} elements · {loadSummary.triangles.toLocaleString()} triangles ·{' '}
      {stats.materials} materials · {stats.drawCalls} draw calls · {stats.frameMs.toFixed(1)} ms/frame ·
      loaded in {(loadSummary.firstFullFrameMs / 1000).toFixed(2)} s
    </span>
  );
}
