// The History tab: the twin's versions as a timeline (who committed each, when, in which transaction
// and block, what changed), any two of them compared (the list of differences with field values, and
// the 3D view coloured: added green, modified amber, removed as ghosts), and one element's history
// (shown at the bottom of its properties).
import { useCallback, useEffect, useState } from 'react';
import { useApi, useEvent } from '../api-context';
import { useWorkspace } from '../workspace';
import type { DiffEntry, ElementHistory, VersionEntry } from '../../../shared/api/history';
import '../styles/editing.css';

const when = (ms: number) => new Date(ms).toLocaleString();
const short = (hex: string) => `${hex.slice(0, 10)}…${hex.slice(-4)}`;

export function HistoryPanel() {
  const api = useApi();
  const { view, compare, setCompare, toast, leaveReview, select, viewer } = useWorkspace();
  const twinId = view?.twinId;
  const [timeline, setTimeline] = useState<VersionEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [picked, setPicked] = useState<number[]>([]);
  const [busy, setBusy] = useState(false);
  const [open, setOpen] = useState<string | null>(null);

  const load = useCallback(() => {
    if (!twinId) return;
    void api.call('history.timeline', { twinId }).then((r) => {
      if (r.ok) {
        setTimeline(r.value);
        setError(null);
      } else setError(r.error.message);
    });
  }, [api, twinId]);
  useEffect(() => {
    setTimeline(null);
    setPicked([]);
    load();
  }, [load]);
  useEvent('twins.changed', (e) => e.twinId === twinId && load());
  useEvent('edits.changed', (e) => e.twinId === twinId && load());
  useEvent('outbox.changed', () => load());
  useEvent('sync.statusChanged', () => load());

  const runCompare = useCallback(
    async (a: number, b: number) => {
      if (!twinId || !timeline) return;
      const seqOf = (id: number) => timeline.find((v) => v.versionId === id)?.seq ?? 0;
      const [from, to] = seqOf(a) <= seqOf(b) ? [a, b] : [b, a];
      setBusy(true);
      const r = await api.call('history.diff', { twinId, fromVersionId: from, toVersionId: to });
      setBusy(false);
      if (!r.ok) {
        toast('error', `Could not compare: ${r.error.message}`);
        return;
      }
      setCompare(r.value);
    },
    [api, twinId, timeline, setCompare, toast],
  );

  if (!view)
    return <div className="empty-state">Open a twin to see its versions and who committed them.</div>;
  if (error) return <div className="empty-state error">{error}</div>;
  if (!timeline) return <div className="empty-state">Loading versions…</div>;

  const toggle = (id: number) =>
    setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p.slice(-1), id]));
  return (
    <div className="history" data-testid="history">
      {compare ? (
        <Comparison
          diff={compare}
          open={open}
          setOpen={setOpen}
          onClose={() => {
            setCompare(null);
            setPicked([]);
          }}
          onPick={(e) => {
            if (e.change !== 'removed') select([e.elementKey], 'changes', { fit: true });
            else {
              select([], 'changes');
              viewer()?.fitGhost(e.elementKey);
            }
          }}
        />
      ) : (
        <div className="compare-bar">
          <span className="muted small">
            {picked.length === 2
              ? 'Two versions picked.'
              : 'Tick two versions to compare them, or use “Changes” on one.'}
          </span>
          <button
            className="button small primary"
            disabled={picked.length !== 2 || busy}
            onClick={() => void runCompare(picked[0]!, picked[1]!)}
            data-testid="compare-versions"
          >
            Compare
          </button>
        </div>
      )}
      <ol className="timeline" data-testid="timeline">
        {timeline.map((v) => (
          <li
            key={v.versionId}
            className={`timeline-entry ${v.status}${view.versionId === v.versionId ? ' current' : ''}${picked.includes(v.versionId) ? ' picked' : ''}`}
            data-testid="timeline-entry"
            data-version={v.versionId}
            data-seq={v.seq}
          >
            <div className="timeline-head">
              <input
                type="checkbox"
                className="compare-pick"
                checked={picked.includes(v.versionId)}
                onChange={() => toggle(v.versionId)}
                aria-label={`Pick version ${v.seq} to compare`}
              />
              <strong>Version {v.seq}</strong>
              <span className={`chip ${v.status}`}>{v.status === 'confirmed' ? 'on chain' : v.status}</span>
              {v.isHead && <span className="chip">head</span>}
            </div>
            <div data-testid="timeline-title">{v.title}</div>
            <div className="muted">
              {v.author ? <span data-testid="timeline-author">{v.author.label}</span> : 'Author unknown'} ·{' '}
              {when(v.time)}
            </div>
            {v.chain && (
              <div className="timeline-meta" title={v.chain.txHash} data-testid="timeline-tx">
                Chain version {v.chain.version} · block {v.chain.blockNumber} · tx {short(v.chain.txHash)}
              </div>
            )}
            {v.pending && (
              <div className="timeline-meta">
                Outbox: {v.pending.status}
                {v.pending.txHash ? ` · tx ${short(v.pending.txHash)}` : ''}
              </div>
            )}
            {v.changes && (
              <div className="timeline-counts">
                <span className="added">+{v.changes.added}</span>{' '}
                <span className="modified">~{v.changes.modified}</span>{' '}
                <span className="removed">−{v.changes.removed}</span>
              </div>
            )}
            <div className="timeline-actions" style={{ display: 'flex', gap: 10 }}>
              {v.baseVersionId !== null && (
                <button
                  className="link"
                  onClick={() => void runCompare(v.baseVersionId!, v.versionId)}
                  disabled={busy}
                >
                  Changes
                </button>
              )}
              {view.versionId !== v.versionId && (
                <button className="link" onClick={() => leaveReview(view.twinId, v.versionId)}>
                  Show
                </button>
              )}
            </div>
          </li>
        ))}
      </ol>
    </div>
  );
}

function Comparison({
  diff,
  open,
  setOpen,
  onClose,
  onPick,
}: {
  diff: NonNullable<ReturnType<typeof useWorkspace>['compare']>;
  open: string | null;
  setOpen: (key: string | null) => void;
  onClose: () => void;
  onPick: (entry: DiffEntry) => void;
}) {
  const [filter, setFilter] = useState<DiffEntry['change'] | 'all'>('all');
  const entries = diff.entries.filter((e) => filter === 'all' || e.change === filter);
  return (
    <div className="comparison" data-testid="comparison">
      <div className="compare-bar">
        <strong data-testid="comparison-title">
          Version {diff.fromSeq} → {diff.toSeq}
        </strong>
        <button className="button small" onClick={onClose} data-testid="close-comparison">
          Close
        </button>
      </div>
      <div className="change-filters" role="radiogroup" aria-label="Show differences">
        {(['all', 'added', 'modified', 'removed'] as const).map((k) => (
          <button
            key={k}
            role="radio"
            aria-checked={filter === k}
            className={`chip-button ${k}${filter === k ? ' active' : ''}`}
            onClick={() => setFilter(k)}
          >
            {k === 'all' ? `All ${diff.added + diff.modified + diff.removed}` : `${k} ${diff[k]}`}
          </button>
        ))}
      </div>
      {diff.entries.length === 0 && <p className="empty-state">These two versions hold the same elements.</p>}
      <ul className="diff-list change-list">
        {entries.map((e) => (
          <li
            key={e.elementKey}
            className={`change-entry ${e.change}`}
            data-testid="diff-entry"
            data-change={e.change}
          >
            <button
              className="change-row"
              onClick={() => {
                onPick(e);
                setOpen(open === e.elementKey ? null : e.elementKey);
              }}
            >
              <span className={`change-kind ${e.change}`}>{e.change}</span>
              <span className="change-name">{e.name ?? e.globalId}</span>
              <span className="muted">{e.ifcClass.replace(/^Ifc/, '')}</span>
            </button>
            {e.change === 'modified' && <div className="change-fields muted">{e.fields.join(', ')}</div>}
            {open === e.elementKey && e.diffs.length > 0 && (
              <table className="change-detail diff-table" data-testid="diff-fields">
                <tbody>
                  {e.diffs.map((d) => (
                    <tr key={d.path}>
                      <th title={d.path}>{d.path.replace(/^propertySets\./, '')}</th>
                      <td className="old">{d.before ?? '(none)'}</td>
                      <td className="arrow">→</td>
                      <td className="new">{d.after ?? '(none)'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </li>
        ))}
      </ul>
      {diff.truncated && (
        <p className="muted small">Only the first {diff.entries.length} differences are listed.</p>
      )}
    </div>
  );
}

/** The versions in which one element changed, newest first (at the bottom of its properties). */
export function ElementHistorySection({
  twinId,
  elementKey,
  refresh,
}: {
  twinId: string;
  elementKey: string;
  /** Changes whenever the element may have a new history entry (its state, the draft's root). */
  refresh: string | null | undefined;
}) {
  const api = useApi();
  const [open, setOpen] = useState(false);
  const [history, setHistory] = useState<ElementHistory | { error: string } | null>(null);
  useEffect(() => {
    if (!open) return;
    let live = true;
    void api.call('history.element', { twinId, element: { elementKey } }).then((r) => {
      if (live) setHistory(r.ok ? r.value : { error: r.error.message });
    });
    return () => {
      live = false;
    };
  }, [api, open, twinId, elementKey, refresh]);
  return (
    <details
      className="prop-section"
      open={open}
      onToggle={(ev) => setOpen((ev.target as HTMLDetailsElement).open)}
      data-testid="element-history"
    >
      <summary>History of this element</summary>
      {!history ? (
        <p className="muted small-pad">Reading its history…</p>
      ) : 'error' in history ? (
        <p className="error small-pad">{history.error}</p>
      ) : (
        <ol className="element-history">
          {history.entries.map((h) => (
            <li key={h.versionId} data-testid="element-history-entry" data-change={h.change}>
              <div>
                <strong>Version {h.seq}</strong> <span className={`chip ${h.status}`}>{h.status}</span>{' '}
                <span className={`change-kind ${h.change}`}>{h.change}</span>
              </div>
              <div className="muted">
                {h.author?.label ?? 'Author unknown'} · {when(h.time)}
                {h.blockNumber !== null ? ` · block ${h.blockNumber}` : ''}
              </div>
              {h.edits.length > 0 && (
                <ul className="muted">
                  {h.edits.map((text, i) => (
                    <li key={i}>{text}</li>
                  ))}
                </ul>
              )}
              {h.edits.length === 0 && h.diffs.length > 0 && (
                <ul className="muted">
                  {h.diffs.slice(0, 8).map((d) => (
                    <li key={d.path}>
                      {d.path.replace(/^propertySets\./, '')}: {d.before ?? '(none)'} → {d.after ?? '(none)'}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ol>
      )}
    </details>
  );
}
