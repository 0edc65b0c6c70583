// The outbox, opened from the status bar's counts: signed work waiting for the chain (commits and
// service logs) with its status, the reason when it failed, its transaction; retry and discard; and
// a conflict resolved field by field (mine or theirs), then signed again and queued.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useApi, useEvent } from '../api-context';
import { useWorkspace } from '../workspace';
import type { ConflictView, OutboxItem, OutboxStatus } from '../../../shared/api/outbox';
import { CopyButton, shortHash } from './MaintenancePanel';
import { useEscapeKey } from './modal-keys';
import '../styles/ledger-panels.css';

type Filter = 'all' | 'pending' | 'failed' | 'confirmed';
const FILTERS: Record<Filter, OutboxStatus[] | null> = {
  all: null,
  pending: ['queued', 'sent'],
  failed: ['failed', 'conflict'],
  confirmed: ['confirmed'],
};
const STATUS_WORDS: Record<OutboxStatus, string> = {
  queued: 'queued',
  sent: 'sent',
  confirmed: 'on chain',
  failed: 'failed',
  conflict: 'conflict',
};

export function OutboxPanel({ onClose, initial = 'all' }: { onClose: () => void; initial?: Filter }) {
  const api = useApi();
  const { toast } = useWorkspace();
  const [filter, setFilter] = useState<Filter>(initial);
  const [items, setItems] = useState<OutboxItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [resolving, setResolving] = useState<number | null>(null);
  const [busy, setBusy] = useState<number | null>(null);
  const [tick, setTick] = useState(0);
  const refresh = useCallback(() => setTick((n) => n + 1), []);
  const dialog = useRef<HTMLDivElement>(null);
  const backdrop = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let live = true;
    const status = FILTERS[filter];
    void api.call('outbox.list', { ...(status ? { status } : {}), limit: 500 }).then((r) => {
      if (!live) return;
      if (r.ok) {
        setItems([...r.value.items].sort((a, b) => b.createdAt - a.createdAt));
        setError(null);
      } else setError(r.error.message);
    });
    return () => {
      live = false;
    };
  }, [api, filter, tick]);
  useEvent('outbox.changed', refresh);
  useEffect(() => dialog.current?.focus(), []);

  const run = async (
    itemId: number,
    what: string,
    call: () => Promise<{ ok: boolean; error?: { message: string } }>,
  ) => {
    setBusy(itemId);
    const r = await call();
    setBusy(null);
    if (r.ok) toast('ok', what);
    else toast('error', r.error!.message);
    refresh();
    return r.ok;
  };

  const item = resolving !== null ? items?.find((i) => i.id === resolving) : undefined;
  // Esc leaves the conflict view first, then closes the outbox.
  useEscapeKey(backdrop, () => (resolving !== null ? setResolving(null) : onClose()));
  return (
    <div className="modal-backdrop" ref={backdrop} onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div
        className="modal outbox-dialog"
        role="dialog"
        aria-modal="true"
        aria-label="Outbox"
        data-testid="outbox-panel"
        tabIndex={-1}
        ref={dialog}
      >
        <header className="ledger-row">
          <h3 className="grow">
            {item ? 'Resolve a conflict' : 'Outbox: signed work waiting for the chain'}
          </h3>
          <button className="icon-button" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </header>
        {item?.conflict ? (
          <ConflictResolver
            item={item}
            conflict={item.conflict}
            busy={busy === item.id}
            onCancel={() => setResolving(null)}
            onResolve={async (choices) => {
              const ok = await run(item.id, 'Conflict resolved: signed again and queued.', () =>
                api.call('outbox.resolveConflict', { itemId: item.id, choices }),
              );
              if (ok) setResolving(null);
            }}
          />
        ) : (
          <div className="modal-body">
            <div className="timeline-filters" role="group" aria-label="Show">
              {(Object.keys(FILTERS) as Filter[]).map((f) => (
                <button
                  key={f}
                  className={`chip-button${filter === f ? ' active' : ''}`}
                  aria-pressed={filter === f}
                  onClick={() => setFilter(f)}
                >
                  {f}
                </button>
              ))}
            </div>
            {error && <p className="form-error">{error}</p>}
            {!items ? (
              <p className="muted">Reading the outbox…</p>
            ) : items.length === 0 ? (
              <div className="empty-state" data-testid="outbox-empty">
                <p className="empty-title">Nothing {filter === 'all' ? 'in the outbox' : filter}</p>
                <p>Commits and service logs you sign appear here until the chain confirms them.</p>
              </div>
            ) : (
              items.map((i) => (
                <OutboxRow
                  key={i.id}
                  item={i}
                  busy={busy === i.id}
                  onRetry={() =>
                    void run(i.id, 'Signed again and queued.', () =>
                      api.call('outbox.retry', { itemId: i.id }),
                    )
                  }
                  onDiscard={() => {
                    const what =
                      i.kind === 'commitVersion'
                        ? 'the version goes back to being a draft'
                        : 'the log is dropped';
                    if (!window.confirm(`Discard this item? ${what[0]!.toUpperCase()}${what.slice(1)}.`))
                      return;
                    void run(
                      i.id,
                      i.kind === 'commitVersion' ? 'Discarded: the version is a draft again.' : 'Discarded.',
                      () => api.call('outbox.discard', { itemId: i.id }),
                    );
                  }}
                  onResolve={() => setResolving(i.id)}
                />
              ))
            )}
          </div>
        )}
      </div>
    </div>
  );
}

function OutboxRow({
  item,
  busy,
  onRetry,
  onDiscard,
  onResolve,
}: {
  item: OutboxItem;
  busy: boolean;
  onRetry: () => void;
  onDiscard: () => void;
  onResolve: () => void;
}) {
  const [title, ...rest] = item.summary.split('\n');
  const stuck = item.status === 'failed' || item.status === 'conflict';
  return (
    <div className={`outbox-item ${item.status}`} data-testid="outbox-item" data-status={item.status}>
      <div className="entry-head">
        <span className="kind-tag">{item.kind === 'commitVersion' ? 'Commit' : 'Service log'}</span>
        <span className="entry-title">{title}</span>
        <span className={`chip ${item.status === 'queued' ? 'pending' : item.status}`}>
          {STATUS_WORDS[item.status]}
        </span>
      </div>
      <div className="muted">
        Signed {new Date(item.createdAt).toLocaleString()} · nonce {item.nonce}
        {item.needsSignature ? ' · waits for the vault to sign it again' : ''}
      </div>
      {item.reason && (
        <div className={stuck ? 'form-error' : 'muted'} data-testid="outbox-reason">
          {stuck ? 'Why: ' : ''}
          {item.reason}
        </div>
      )}
      {item.service && item.service.notes && <div className="entry-detail">{item.service.notes}</div>}
      <div className="entry-links">
        {item.txHash && (
          <span className="hash" title={item.txHash}>
            tx {shortHash(item.txHash)}
            {item.blockNumber !== null ? ` · block ${item.blockNumber}` : ''}
            <CopyButton text={item.txHash} label="Transaction hash" />
          </span>
        )}
        {rest.length > 0 && (
          <details>
            <summary>What was signed</summary>
            <pre className="hash">{rest.join('\n')}</pre>
          </details>
        )}
        <span className="grow" />
        {item.status === 'conflict' && item.conflict && (
          <button className="button small primary" disabled={busy} onClick={onResolve}>
            Resolve…
          </button>
        )}
        {stuck && (
          <>
            <button className="button small" disabled={busy} onClick={onRetry}>
              Retry
            </button>
            <button className="button small" disabled={busy} onClick={onDiscard}>
              Discard
            </button>
          </>
        )}
      </div>
    </div>
  );
}

const shown = (value: string | null) => (value === null ? '(absent)' : value);

function ConflictResolver({
  item,
  conflict,
  busy,
  onCancel,
  onResolve,
}: {
  item: OutboxItem;
  conflict: ConflictView;
  busy: boolean;
  onCancel: () => void;
  onResolve: (choices: { elementKey: string; path: string; take: 'mine' | 'theirs' }[]) => Promise<void>;
}) {
  const conflicting = useMemo(
    () =>
      conflict.elements.flatMap((e) =>
        e.fields.filter((f) => f.conflicting).map((f) => ({ elementKey: e.elementKey, path: f.path })),
      ),
    [conflict],
  );
  const [choices, setChoices] = useState<Map<string, 'mine' | 'theirs'>>(
    () => new Map(conflicting.map((c) => [`${c.elementKey}|${c.path}`, 'mine'])),
  );
  const take = (elementKey: string, path: string, side: 'mine' | 'theirs') =>
    setChoices((current) => new Map(current).set(`${elementKey}|${path}`, side));
  const all = (side: 'mine' | 'theirs') =>
    setChoices(new Map(conflicting.map((c) => [`${c.elementKey}|${c.path}`, side])));

  return (
    <>
      <div className="modal-body" data-testid="conflict-view">
        <p>
          {item.summary.split('\n')[0]} builds on a version someone else moved: the chain is at version{' '}
          {conflict.theirsVersion}
          {conflict.theirsAuthors.length > 0 ? ` (by ${conflict.theirsAuthors.join(', ')})` : ''}. Choose,
          field by field, which value to keep.{' '}
          {conflict.untouchedEdits > 0 && `${conflict.untouchedEdits} other edits are kept as they are.`}
        </p>
        {conflict.unavailable && <p className="form-error">{conflict.unavailable}</p>}
        <div className="ledger-row">
          <span className="grow muted">{conflicting.length} fields need a choice.</span>
          <button className="link" onClick={() => all('mine')}>
            Keep all mine
          </button>
          <button className="link" onClick={() => all('theirs')}>
            Take all theirs
          </button>
        </div>
        {conflict.elements.map((e) => (
          <div key={e.elementKey}>
            <strong>{e.name ?? e.ifcClass}</strong> <span className="muted">{e.globalId}</span>
            <table className="conflict-table">
              <thead>
                <tr>
                  <th>Field</th>
                  <th>Base</th>
                  <th>Mine</th>
                  <th>Theirs</th>
                </tr>
              </thead>
              <tbody>
                {e.fields.map((f) => {
                  const key = `${e.elementKey}|${f.path}`;
                  const choice = choices.get(key);
                  return (
                    <tr key={f.path} data-testid="conflict-field">
                      <th>{f.path}</th>
                      <td>{shown(f.base)}</td>
                      <td className={choice === 'mine' ? 'chosen' : ''}>
                        {f.conflicting ? (
                          <label>
                            <input
                              type="radio"
                              name={key}
                              checked={choice === 'mine'}
                              onChange={() => take(e.elementKey, f.path, 'mine')}
                            />{' '}
                            {shown(f.mine)}
                          </label>
                        ) : (
                          shown(f.mine)
                        )}
                      </td>
                      <td className={choice === 'theirs' ? 'chosen' : ''}>
                        {f.conflicting ? (
                          <label>
                            <input
                              type="radio"
                              name={key}
                              checked={choice === 'theirs'}
                              onChange={() => take(e.elementKey, f.path, 'theirs')}
                            />{' '}
                            {shown(f.theirs)}
                          </label>
                        ) : (
                          shown(f.theirs)
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        ))}
      </div>
      <footer>
        <button className="button" onClick={onCancel} disabled={busy}>
          Back
        </button>
        <button
          className="button primary"
          disabled={busy}
          onClick={() =>
            void onResolve(
              conflicting.map((c) => ({
                elementKey: c.elementKey,
                path: c.path,
                take: choices.get(`${c.elementKey}|${c.path}`) ?? 'mine',
              })),
            )
          }
        >
          {busy ? 'Signing…' : 'Resolve and sign'}
        </button>
      </footer>
    </>
  );
}
