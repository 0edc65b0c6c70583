// Dialogs of the work-order board: complete with a report (signed now, works offline: it is sent
// when the chain answers), open a work order on the selected element, cancel with a reason.
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useApi } from '../../api-context';
import { useWorkspace } from '../../workspace';
import { useEscapeKey } from '../modal-keys';
import type { WorkOrder } from '../../../../shared/api/maintenance';

function Dialog({
  title,
  testId,
  busy,
  error,
  submitLabel,
  onClose,
  onSubmit,
  children,
}: {
  title: string;
  testId: string;
  busy: boolean;
  error: string | null;
  submitLabel: string;
  onClose: () => void;
  onSubmit: () => void;
  children: ReactNode;
}) {
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!busy) onSubmit();
  };
  const backdrop = useRef<HTMLDivElement>(null);
  useEscapeKey(backdrop, onClose, busy);
  return (
    <div className="modal-backdrop" ref={backdrop}>
      <form
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-label={title}
        data-testid={testId}
        onSubmit={submit}
      >
        <header>
          <h3>{title}</h3>
        </header>
        <div className="modal-body">
          {children}
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
        </div>
        <footer>
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={busy} data-testid={`${testId}-submit`}>
            {busy ? 'Working…' : submitLabel}
          </button>
        </footer>
      </form>
    </div>
  );
}

async function sha256Hex(file: File): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function CompleteDialog({
  order,
  onClose,
  onDone,
}: {
  order: WorkOrder;
  onClose: () => void;
  onDone: () => void;
}) {
  const api = useApi();
  const { toast } = useWorkspace();
  const [notes, setNotes] = useState('');
  const [files, setFiles] = useState<{ name: string; sha256: string }[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const first = useRef<HTMLTextAreaElement>(null);
  useEffect(() => first.current?.focus(), []);
  const submit = async () => {
    if (!notes.trim()) {
      setError('Describe the work done: the report is what the chain records (as its hash).');
      return;
    }
    setBusy(true);
    setError(null);
    const r = await api.call('maintenance.completeWorkOrder', {
      twinId: order.twinId,
      orderId: order.orderId,
      notes: notes.trim(),
      attachments: files,
    });
    setBusy(false);
    if (!r.ok) {
      setError(r.error.message);
      return;
    }
    toast(
      'ok',
      r.value.status === 'confirmed'
        ? `WO-${order.number} completed on chain.`
        : `WO-${order.number} completion signed: it shows as pending until the chain confirms it.`,
    );
    onDone();
  };
  return (
    <Dialog
      title={`Complete WO-${order.number}`}
      testId="complete-dialog"
      busy={busy}
      error={error}
      submitLabel="Sign and complete"
      onClose={onClose}
      onSubmit={() => void submit()}
    >
      <p className="muted small">
        {order.elementName ?? order.globalId} · {order.kind}. Your identity signs the report now; without a
        network it waits in the queue and is sent when the chain answers.
      </p>
      <label className="field">
        <span>Report</span>
        <textarea
          ref={first}
          rows={5}
          value={notes}
          onChange={(e) => setNotes(e.target.value)}
          placeholder="What was found and done (bearing replaced, vibration back to 2.1 mm/s…)"
          data-testid="complete-notes"
        />
      </label>
      <label className="field">
        <span>Attachments (photos, measurements): their SHA-256 goes into the report</span>
        <input
          type="file"
          multiple
          onChange={(e) => {
            const list = [...(e.target.files ?? [])];
            void Promise.all(list.map(async (f) => ({ name: f.name, sha256: await sha256Hex(f) }))).then(
              setFiles,
            );
          }}
        />
      </label>
      {files.length > 0 && (
        <ul className="small muted">
          {files.map((f) => (
            <li key={f.sha256 + f.name}>
              {f.name} · {f.sha256.slice(0, 12)}…
            </li>
          ))}
        </ul>
      )}
    </Dialog>
  );
}

export function OpenOrderDialog({
  twinId,
  elementKey,
  onClose,
  onDone,
}: {
  twinId: string;
  elementKey: string;
  onClose: () => void;
  onDone: () => void;
}) {
  const api = useApi();
  const { toast } = useWorkspace();
  const [kind, setKind] = useState('inspection');
  const [name, setName] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    void api.call('twins.element', { twinId, element: { elementKey } }).then((r) => {
      if (r.ok) setName(`${r.value.name ?? r.value.globalId} (${r.value.ifcClass})`);
    });
  }, [api, twinId, elementKey]);
  const submit = async () => {
    if (new TextEncoder().encode(kind.trim()).length > 31 || !kind.trim()) {
      setError('The work kind is a short label: 1 to 31 characters.');
      return;
    }
    setBusy(true);
    setError(null);
    const r = await api.call('maintenance.openWorkOrder', {
      twinId,
      element: { elementKey },
      kind: kind.trim(),
    });
    setBusy(false);
    if (!r.ok) {
      setError(r.error.message);
      return;
    }
    toast('ok', r.value.summary);
    onDone();
  };
  return (
    <Dialog
      title="New work order"
      testId="open-order-dialog"
      busy={busy}
      error={error}
      submitLabel="Open work order"
      onClose={onClose}
      onSubmit={() => void submit()}
    >
      <p className="muted small">
        On {name ?? 'the selected element'}. It is assigned to the SLA's bonded provider.
      </p>
      <label className="field">
        <span>Work kind</span>
        <input
          value={kind}
          maxLength={31}
          onChange={(e) => setKind(e.target.value)}
          autoFocus
          list="work-kinds"
        />
        <datalist id="work-kinds">
          <option value="inspection" />
          <option value="repair" />
          <option value="replace bearing" />
          <option value="clean filter" />
        </datalist>
      </label>
    </Dialog>
  );
}

export function CancelDialog({
  order,
  onClose,
  onDone,
}: {
  order: WorkOrder;
  onClose: () => void;
  onDone: () => void;
}) {
  const api = useApi();
  const { toast } = useWorkspace();
  const [reason, setReason] = useState('not needed');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async () => {
    setBusy(true);
    setError(null);
    const r = await api.call('maintenance.cancelWorkOrder', {
      twinId: order.twinId,
      orderId: order.orderId,
      reason: reason.trim(),
    });
    setBusy(false);
    if (!r.ok) {
      setError(r.error.message);
      return;
    }
    toast('ok', r.value.summary);
    onDone();
  };
  return (
    <Dialog
      title={`Cancel WO-${order.number}`}
      testId="cancel-dialog"
      busy={busy}
      error={error}
      submitLabel="Cancel work order"
      onClose={onClose}
      onSubmit={() => void submit()}
    >
      <p className="muted small">
        Deadlines already passed are penalised as the order closes; its provider's bond is released.
      </p>
      <label className="field">
        <span>Reason (short)</span>
        <input value={reason} maxLength={31} onChange={(e) => setReason(e.target.value)} autoFocus />
      </label>
    </Dialog>
  );
}
