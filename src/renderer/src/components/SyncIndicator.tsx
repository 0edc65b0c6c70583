// The sync part of the status bar: sandbox seeding while it runs, the outbox's counts, and how far
// the local index is behind the chain; live from sync.statusChanged. The counts open the outbox.
import { useEffect, useState } from 'react';
import { useApi, useEvent } from '../api-context';
import type { SyncStatus } from '../../../shared/api/sync';

export function describeOutbox(outbox: SyncStatus['outbox']): string {
  if (!outbox) return 'Outbox: starting…';
  const parts: string[] = [];
  if (outbox.queued + outbox.sent > 0) parts.push(`${outbox.queued + outbox.sent} pending`);
  if (outbox.failed > 0) parts.push(`${outbox.failed} failed`);
  if (outbox.conflict > 0) parts.push(`${outbox.conflict} in conflict`);
  return parts.length > 0 ? `Outbox: ${parts.join(' · ')}` : 'Outbox: all synced';
}

export function describeIndex(status: SyncStatus): string {
  if (status.indexer === 'offline' || !status.online) return 'Index: offline, showing the cache';
  if (status.indexer === 'error') return 'Index: error';
  if (status.cursor === null) return 'Index: waiting for the chain';
  const lag = status.lag ?? 0;
  return lag > 0 ? `Index: block ${status.cursor} (${lag} behind)` : `Index: block ${status.cursor}`;
}

export function SyncIndicator({ onOpenOutbox }: { onOpenOutbox?: () => void } = {}) {
  const api = useApi();
  const [status, setStatus] = useState<SyncStatus | null>(null);
  useEffect(() => {
    void api.call('sync.status', {}).then((r) => r.ok && setStatus(r.value));
  }, [api]);
  useEvent('sync.statusChanged', setStatus);
  if (!status) return null;
  const seeding = status.seeding.state === 'running' || status.seeding.state === 'pending';
  const outboxAttention = (status.outbox?.failed ?? 0) + (status.outbox?.conflict ?? 0) > 0;
  return (
    <>
      {seeding && (
        <span className="status-item muted" data-testid="seeding">
          Preparing the sandbox: {status.seeding.step ?? 'starting'}…
        </span>
      )}
      {status.seeding.state === 'failed' && (
        <span className="status-item error" role="alert" title={status.seeding.error ?? ''}>
          Sandbox seeding failed: {status.seeding.error}
        </span>
      )}
      <button
        className={`status-item status-button ${outboxAttention ? 'error' : 'muted'}`}
        data-testid="outbox-counts"
        title="Signed changes waiting to reach the chain: open the outbox"
        onClick={onOpenOutbox}
        disabled={!onOpenOutbox}
      >
        {describeOutbox(status.outbox)}
      </button>
      <span
        className="status-item muted"
        data-testid="index-lag"
        title={status.lastError ?? `${status.indexedEvents} events indexed`}
      >
        {describeIndex(status)}
      </span>
    </>
  );
}
