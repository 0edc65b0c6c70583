// The maintenance timeline of the open twin or of the selected element, newest first, filterable by
// kind and date; every entry links to its element in 3D and to its transaction. A MAINTAINER logs
// service on the selected element here (attachments are hashed in the renderer with SHA-256; only
// names and hashes go to main); offline it is signed and queued, and shows as pending.
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { useApi, useEvent } from '../api-context';
import { useWorkspace } from '../workspace';
import type { TimelineEntry, TimelineKind } from '../../../shared/api/timeline';
import type { TwinPermissions } from '../../../shared/api/sync';
import { indexTree } from './Navigator';
import { Icon } from './icons';
import '../styles/ledger-panels.css';

export const KIND_LABELS: Record<TimelineKind, string> = {
  service: 'Service',
  version: 'Versions',
  role: 'Roles',
  workOrder: 'Work orders',
  sensorAlert: 'Sensor alerts',
  sla: 'SLA',
};

const SERVICE_KINDS = ['inspection', 'repair', 'replacement', 'cleaning', 'calibration', 'test'];

export const shortHash = (hex: string) => `${hex.slice(0, 10)}…${hex.slice(-6)}`;

/** Copies text, saying so; the clipboard may be refused (insecure origin): the text is then selected. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const { toast } = useWorkspace();
  return (
    <button
      className="copy-button"
      title={`Copy ${label}`}
      aria-label={`Copy ${label}`}
      onClick={() => {
        const done = () => toast('info', `${label} copied.`);
        if (navigator.clipboard?.writeText) {
          navigator.clipboard.writeText(text).then(done, () => toast('error', `Could not copy: ${text}`));
        } else toast('info', text);
      }}
    >
      <svg
        width={12}
        height={12}
        viewBox="0 0 24 24"
        fill="none"
        stroke="currentColor"
        strokeWidth={1.8}
        aria-hidden
      >
        <path d="M9 9h11v11H9zM5 15H4V4h11v1" />
      </svg>
    </button>
  );
}

/** Hashes a file with WebCrypto SHA-256; the bytes never leave the renderer. */
async function sha256Hex(file: File): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const dayStart = (date: string) => Math.floor(new Date(`${date}T00:00:00`).getTime() / 1000);
const dayEnd = (date: string) => Math.floor(new Date(`${date}T23:59:59`).getTime() / 1000);

export function MaintenancePanel() {
  const api = useApi();
  const { view, selection, tree, select, toast } = useWorkspace();
  const twinId = view?.twinId;
  const selected = selection[0] ?? null;
  const [scope, setScope] = useState<'element' | 'twin'>('element');
  const [kinds, setKinds] = useState<TimelineKind[] | null>(null);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [listed, setListed] = useState<{
    entries: TimelineEntry[];
    kinds: TimelineKind[];
    truncated: boolean;
  } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const refresh = useCallback(() => setTick((n) => n + 1), []);
  const names = useMemo(() => indexTree(tree).node, [tree]);
  const elementScope = scope === 'element' && selected !== null;
  const badDates = from !== '' && to !== '' && from > to;

  useEffect(() => {
    if (!twinId || badDates) return;
    let live = true;
    void api
      .call('timeline.list', {
        twinId,
        ...(elementScope ? { elementKey: selected } : {}),
        ...(kinds ? { kinds } : {}),
        ...(from ? { from: dayStart(from) } : {}),
        ...(to ? { to: dayEnd(to) } : {}),
      })
      .then((r) => {
        if (!live) return;
        if (r.ok) {
          setListed(r.value);
          setError(null);
        } else setError(r.error.message);
      });
    return () => {
      live = false;
    };
  }, [api, twinId, selected, elementScope, kinds, from, to, badDates, tick]);
  useEvent('timeline.changed', (e) => (e.twinId === null || e.twinId === twinId) && refresh());

  if (!view) return <div className="empty-state">Open a twin to see its maintenance timeline.</div>;
  const available = listed?.kinds ?? (['service', 'version', 'role'] as TimelineKind[]);
  const active = new Set(kinds ?? available);
  const toggleKind = (kind: TimelineKind) => {
    const next = new Set(active);
    if (next.has(kind)) next.delete(kind);
    else next.add(kind);
    setKinds(next.size === available.length ? null : available.filter((k) => next.has(k)));
  };
  const selectedNode = selected ? names.get(selected) : undefined;
  const nameOf = (key: string | null, globalId: string | null) => {
    if (!key) return null;
    const node = names.get(key);
    return node ? (node.name ?? node.ifcClass) : (globalId ?? shortHash(key));
  };

  return (
    <div className="ledger-panel maintenance" data-testid="maintenance-panel">
      {selected ? (
        <LogServiceForm
          twinId={view.twinId}
          elementKey={selected}
          elementName={selectedNode ? (selectedNode.name ?? selectedNode.ifcClass) : shortHash(selected)}
          onLogged={refresh}
          toast={toast}
        />
      ) : (
        <div className="ledger-section muted" data-testid="log-service-hint">
          Select an element (in 3D, the tree or search) to log service on it.
        </div>
      )}
      <div className="ledger-section">
        <div className="ledger-row">
          <h4 className="grow">Timeline</h4>
          <div className="timeline-filters" role="group" aria-label="Scope">
            <button
              className={`chip-button${elementScope ? ' active' : ''}`}
              disabled={!selected}
              onClick={() => setScope('element')}
              title={selected ? 'Only entries about the selected element' : 'Select an element first'}
            >
              This element
            </button>
            <button
              className={`chip-button${!elementScope ? ' active' : ''}`}
              onClick={() => setScope('twin')}
            >
              Whole twin
            </button>
          </div>
        </div>
        <div className="timeline-filters" role="group" aria-label="Kinds">
          {available.map((k) => (
            <button
              key={k}
              className={`chip-button${active.has(k) ? ' active' : ''}`}
              aria-pressed={active.has(k)}
              onClick={() => toggleKind(k)}
            >
              {KIND_LABELS[k]}
            </button>
          ))}
        </div>
        <div className="ledger-row">
          <label className="ledger-row">
            <span className="muted">From</span>
            <input
              type="date"
              value={from}
              onChange={(e) => setFrom(e.target.value)}
              aria-label="From date"
            />
          </label>
          <label className="ledger-row">
            <span className="muted">to</span>
            <input type="date" value={to} onChange={(e) => setTo(e.target.value)} aria-label="To date" />
          </label>
          {(from || to || kinds) && (
            <button
              className="link"
              onClick={() => {
                setFrom('');
                setTo('');
                setKinds(null);
              }}
            >
              Clear filters
            </button>
          )}
        </div>
        {badDates && <p className="form-error">The start date is after the end date.</p>}
      </div>
      {error && <p className="form-error small-pad">{error}</p>}
      {!listed ? (
        <div className="empty-state">Loading the timeline…</div>
      ) : listed.entries.length === 0 ? (
        <div className="empty-state" data-testid="timeline-empty">
          <p className="empty-title">Nothing here yet</p>
          <p>
            {elementScope
              ? 'No service, work order or alert on this element matches. Log service above, or look at the whole twin.'
              : 'No entry matches these filters. Clear them, or log service on an element.'}
          </p>
        </div>
      ) : (
        <ol className="entry-list" data-testid="timeline-entries" aria-label="Timeline entries">
          {listed.entries.map((entry) => (
            <TimelineRow
              key={entry.id}
              entry={entry}
              elementName={nameOf(entry.elementKey, entry.globalId)}
              onSelectElement={(key) => select([key], 'search', { fit: true })}
              onChanged={refresh}
            />
          ))}
          {listed.truncated && (
            <li className="muted small-pad">Older entries are not shown: narrow the dates.</li>
          )}
        </ol>
      )}
    </div>
  );
}

function TimelineRow({
  entry,
  elementName,
  onSelectElement,
  onChanged,
}: {
  entry: TimelineEntry;
  elementName: string | null;
  onSelectElement: (key: string) => void;
  onChanged: () => void;
}) {
  const api = useApi();
  const { toast } = useWorkspace();
  const [busy, setBusy] = useState(false);
  const settle = async (action: 'retry' | 'discard') => {
    if (entry.outboxItemId === null) return;
    setBusy(true);
    const itemId = entry.outboxItemId;
    const r =
      action === 'retry'
        ? await api.call('outbox.retry', { itemId })
        : await api.call('outbox.discard', { itemId });
    setBusy(false);
    if (r.ok) toast('ok', action === 'retry' ? 'Signed again and queued.' : 'Discarded.');
    else toast('error', r.error.message);
    onChanged();
  };
  const attachments = entry.facts.filter(([k]) => k.startsWith('Attachment '));
  const otherFacts = entry.facts.filter(([k]) => !k.startsWith('Attachment '));
  return (
    <li
      className={`entry ${entry.status}`}
      data-testid="timeline-entry"
      data-kind={entry.kind}
      data-status={entry.status}
    >
      <div className="entry-head">
        <span className="kind-tag">{KIND_LABELS[entry.kind]}</span>
        <span className="entry-title">{entry.title}</span>
        <span className={`chip ${entry.status}`}>
          {entry.status === 'confirmed' ? 'on chain' : entry.status === 'pending' ? 'pending' : 'failed'}
        </span>
      </div>
      <div className="muted">{new Date(entry.at * 1000).toLocaleString()}</div>
      {entry.detail && <div className="entry-detail">{entry.detail}</div>}
      {attachments.length > 0 && (
        <ul className="attachment-list">
          {attachments.map(([k, v]) => (
            <li key={k}>
              {k.replace(/^Attachment /, '')}{' '}
              <span className="hash muted">{v.replace(/^sha256 /, 'sha256 ').slice(0, 23)}…</span>
            </li>
          ))}
        </ul>
      )}
      <div className="entry-links">
        {entry.elementKey && (
          <button
            className="link"
            data-testid="entry-element"
            onClick={() => onSelectElement(entry.elementKey!)}
            title="Select it in 3D"
          >
            {elementName}
          </button>
        )}
        {entry.txHash ? (
          <span className="hash" data-testid="entry-tx" title={entry.txHash}>
            tx {shortHash(entry.txHash)}
            {entry.blockNumber !== null ? ` · block ${entry.blockNumber}` : ''}
            <CopyButton text={entry.txHash} label="Transaction hash" />
          </span>
        ) : entry.status === 'pending' ? (
          <span>waiting in the outbox for the chain</span>
        ) : null}
        {entry.status === 'failed' && entry.outboxItemId !== null && (
          <>
            <button className="link" disabled={busy} onClick={() => void settle('retry')}>
              Retry
            </button>
            <button className="link" disabled={busy} onClick={() => void settle('discard')}>
              Discard
            </button>
          </>
        )}
        {otherFacts.length > 0 && (
          <details>
            <summary>Details</summary>
            {otherFacts.map(([k, v]) => (
              <div key={k} className="hash">
                {k}: {v}
              </div>
            ))}
          </details>
        )}
      </div>
    </li>
  );
}

function LogServiceForm({
  twinId,
  elementKey,
  elementName,
  onLogged,
  toast,
}: {
  twinId: string;
  elementKey: string;
  elementName: string;
  onLogged: () => void;
  toast: (kind: 'ok' | 'error' | 'info', text: string) => void;
}) {
  const api = useApi();
  const [permissions, setPermissions] = useState<TwinPermissions | null>(null);
  const [online, setOnline] = useState<boolean | null>(null);
  const [kind, setKind] = useState(SERVICE_KINDS[0]!);
  const [notes, setNotes] = useState('');
  const [attachments, setAttachments] = useState<{ name: string; sha256: string }[]>([]);
  const [hashing, setHashing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    let live = true;
    void api.call('sync.permissions', { twinId }).then((r) => live && r.ok && setPermissions(r.value));
    void api.call('sync.status', {}).then((r) => live && r.ok && setOnline(r.value.online));
    return () => {
      live = false;
    };
  }, [api, twinId]);
  useEvent('sync.permissionsChanged', (p) => p.twinId === twinId && setPermissions(p));
  useEvent('sync.statusChanged', (s) => setOnline(s.online));

  const maintainer = permissions?.roles.find((r) => r.role === 'MAINTAINER');
  const allowed = permissions?.may.logService ?? false;
  const reason = !permissions
    ? 'Checking your role…'
    : allowed
      ? null
      : (maintainer?.reason ?? 'Logging service needs a live MAINTAINER role on this twin.');

  const pickFiles = async (files: FileList | null) => {
    if (!files || files.length === 0) return;
    setHashing(true);
    try {
      const hashed = await Promise.all(
        [...files].map(async (f) => ({ name: f.name.slice(0, 256), sha256: await sha256Hex(f) })),
      );
      setAttachments((current) => [...current, ...hashed].slice(0, 100));
    } catch (e) {
      setFormError(`Could not read the file: ${(e as Error).message}`);
    } finally {
      setHashing(false);
      if (fileInput.current) fileInput.current.value = '';
    }
  };

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    if (!allowed || busy || hashing) return;
    setBusy(true);
    setFormError(null);
    const r = await api.call('outbox.logService', {
      twinId,
      element: { elementKey },
      kind,
      notes: notes.trim(),
      attachments,
    });
    setBusy(false);
    if (!r.ok) {
      setFormError(r.error.message);
      return;
    }
    setNotes('');
    setAttachments([]);
    toast(
      'ok',
      online
        ? `${kind[0]!.toUpperCase()}${kind.slice(1)} on ${elementName} signed and queued: pending until the chain confirms it.`
        : `Offline: ${kind} on ${elementName} is signed and waits in the outbox; it is sent when the chain is back.`,
    );
    onLogged();
  };

  return (
    <form
      className="ledger-section"
      data-testid="log-service-form"
      onSubmit={(e) => void submit(e)}
      onKeyDown={(e) => {
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void submit();
      }}
    >
      <h4>Log service</h4>
      <div className="element-target" title={elementName}>
        on <strong>{elementName}</strong>
      </div>
      {reason && (
        <div className="gate-reason" data-testid="log-service-reason">
          <Icon name="lock" size={12} /> {reason}
        </div>
      )}
      {allowed && online === false && (
        <div className="muted" data-testid="log-service-offline">
          The chain is offline: the log is signed now and queued until it is back.
        </div>
      )}
      <div className="ledger-row">
        <label className="ledger-row grow">
          <span className="muted">Kind</span>
          <select
            value={kind}
            onChange={(e) => setKind(e.target.value)}
            disabled={!allowed}
            aria-label="Service kind"
          >
            {SERVICE_KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="button small"
          disabled={!allowed || hashing}
          onClick={() => fileInput.current?.click()}
        >
          {hashing ? 'Hashing…' : 'Attach files…'}
        </button>
        <input
          ref={fileInput}
          type="file"
          multiple
          hidden
          data-testid="log-service-files"
          onChange={(e) => void pickFiles(e.target.files)}
        />
      </div>
      <textarea
        placeholder="What was done, readings, parts replaced…"
        value={notes}
        onChange={(e) => setNotes(e.target.value)}
        disabled={!allowed}
        aria-label="Notes"
        maxLength={100_000}
      />
      {attachments.length > 0 && (
        <ul className="attachment-list" data-testid="log-service-attachments">
          {attachments.map((a, i) => (
            <li key={`${a.sha256}-${i}`}>
              {a.name} <span className="hash muted">sha256 {a.sha256.slice(0, 16)}…</span>{' '}
              <button
                type="button"
                className="link"
                onClick={() => setAttachments((list) => list.filter((_, j) => j !== i))}
              >
                remove
              </button>
            </li>
          ))}
        </ul>
      )}
      {formError && (
        <p className="form-error" role="alert">
          {formError}
        </p>
      )}
      <div className="ledger-row">
        <span className="muted grow small">
          Only the files' names and SHA-256 hashes are recorded. Ctrl+Enter logs.
        </span>
        <button type="submit" className="button primary small" disabled={!allowed || busy || hashing}>
          {!allowed && <Icon name="lock" size={12} />} {busy ? 'Signing…' : 'Log service'}
        </button>
      </div>
    </form>
  );
}
