// The status bar: chain mode, active identity, connectivity and the host's health, live.
import { useEffect, useState } from 'react';
import { useApi, useEvent, useQuery } from '../api-context';
import type { SessionStatus } from '../../../shared/api';
import { useWorkspace } from '../workspace';
import { IdentitySwitcher } from './IdentitySwitcher';
import { SyncIndicator } from './SyncIndicator';

export function StatusBar() {
  const api = useApi();
  const info = useQuery('app.info', {});
  const [status, setStatus] = useState<SessionStatus | null>(null);
  const [error, setError] = useState<string | null>(null);

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
          <IdentitySwitcher active={status?.identity ?? null} />
        </>
      )}
      <SyncIndicator />
      <span className="spacer" />
      <ViewerStats />
      <span className="status-item muted" data-testid="app-version">
        {info.state === 'ready' ? `TwinLedger ${info.value.version} · ${info.value.host}` : ''}
      </span>
    </footer>
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
