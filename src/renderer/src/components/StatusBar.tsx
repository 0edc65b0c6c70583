// The status bar: chain mode, active identity, connectivity and the host's health, live.
import { useEffect, useState } from 'react';
import { useApi, useEvent, useQuery } from '../api-context';
import type { SessionStatus } from '../../../shared/api';

const short = (address: string) => `${address.slice(0, 6)}…${address.slice(-4)}`;

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
          <span
            className="status-item"
            data-testid="identity"
            title={status?.identity?.address ?? 'No identity'}
          >
            {status?.identity ? `${status.identity.label} ${short(status.identity.address)}` : 'No identity'}
          </span>
        </>
      )}
      <span className="spacer" />
      <span className="status-item muted" data-testid="app-version">
        {info.state === 'ready' ? `TwinLedger ${info.value.version} · ${info.value.host}` : ''}
      </span>
    </footer>
  );
}
