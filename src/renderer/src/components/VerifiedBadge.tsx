// "Verified on chain": main checks the element's state against the chain's head version through the
// registry (or, offline, against the indexed root) and this badge says what came back, in colour.
import { useCallback, useEffect, useState } from 'react';
import { useApi, useEvent } from '../api-context';
import type { ElementVerification } from '../../../shared/api/timeline';
import { Icon } from './icons';
import '../styles/ledger-panels.css';

const TITLES: Record<ElementVerification['state'], string> = {
  verified: 'Verified on chain',
  local: 'Checked locally (chain offline)',
  pending: 'Not yet on chain',
  behind: 'The chain holds a newer version',
  mismatch: 'Mismatch: not what the chain committed',
};

export function VerifiedBadge({
  twinId,
  versionId,
  elementKey,
}: {
  twinId: string;
  versionId: number | undefined;
  elementKey: string;
}) {
  const api = useApi();
  const [result, setResult] = useState<
    { key: string; value: ElementVerification } | { key: string; error: string } | null
  >(null);
  const [tick, setTick] = useState(0);
  const refresh = useCallback(() => setTick((n) => n + 1), []);
  const id = `${twinId}:${versionId ?? ''}:${elementKey}`;
  useEffect(() => {
    let live = true;
    void api
      .call('timeline.verifyElement', {
        twinId,
        elementKey,
        ...(versionId !== undefined ? { versionId } : {}),
      })
      .then((r) => {
        if (live) setResult(r.ok ? { key: id, value: r.value } : { key: id, error: r.error.message });
      });
    return () => {
      live = false;
    };
  }, [api, twinId, versionId, elementKey, id, tick]);
  // Commits, reconnects and new blocks can change the answer.
  useEvent('timeline.changed', (e) => (e.twinId === null || e.twinId === twinId) && refresh());
  // Going on- or offline changes how it is checked; new blocks alone do not (new versions come as
  // timeline.changed).
  const [chainState, setChainState] = useState<string | null>(null);
  useEvent('chain.statusChanged', (status) => {
    if (status.state !== chainState) {
      setChainState(status.state);
      refresh();
    }
  });

  const shown = result?.key === id ? result : null;
  if (!shown) {
    return (
      <div className="verified-badge" data-testid="verified-badge" data-state="checking">
        <span className="badge-body muted">Checking the chain…</span>
      </div>
    );
  }
  if ('error' in shown) {
    return (
      <div className="verified-badge mismatch" data-testid="verified-badge" data-state="error">
        <span className="badge-body">Could not check this element: {shown.error}</span>
      </div>
    );
  }
  const v = shown.value;
  const icon =
    v.state === 'verified' || v.state === 'local' ? 'check' : v.state === 'mismatch' ? 'close' : 'lock';
  return (
    <div
      className={`verified-badge ${v.state}`}
      data-testid="verified-badge"
      data-state={v.state}
      role={v.state === 'mismatch' ? 'alert' : 'status'}
    >
      <Icon name={icon} size={14} />
      <div className="badge-body">
        <span className="badge-title">{TITLES[v.state]}</span>
        <span>{v.message}</span>
        {v.chainVersion !== null && (
          <span className="muted">
            Chain version {v.chainVersion}
            {v.blockNumber !== null ? ` · block ${v.blockNumber}` : ''} · checked{' '}
            {new Date(v.checkedAt).toLocaleTimeString()}
          </span>
        )}
      </div>
      <button className="link" onClick={refresh} title="Check again against the chain">
        Check again
      </button>
    </div>
  );
}
