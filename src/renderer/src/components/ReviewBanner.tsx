// The banner over the viewport while a draft (an imported iteration) is under review, with the
// colour legend of the changes and the commit / discard actions (a twin on chain commits through
// the outbox: signed by the active identity, queued, relayed).
import { useState } from 'react';
import { useApi } from '../api-context';
import { useWorkspace } from '../workspace';
import { changeColours } from '../viewer/palette';

const css = (c: readonly number[]) =>
  `rgb(${Math.round(c[0]! * 255)} ${Math.round(c[1]! * 255)} ${Math.round(c[2]! * 255)})`;

/** Commits or discards the draft under review; shared by the banner and the Changes tab. */
export function useDraftActions() {
  const api = useApi();
  const { view, leaveReview, openTwin, isOpen, toast, twins } = useWorkspace();
  const [busy, setBusy] = useState(false);
  const twin = view ? twins?.find((t) => t.id === view.twinId) : undefined;
  const commit = async () => {
    if (!view || view.versionId === undefined) return;
    const versionId = view.versionId;
    setBusy(true);
    if (twin?.chainTwinId) {
      // A twin on chain: sign the commit with the active identity and queue it (main checks EDITOR).
      const r = await api.call('outbox.commitVersion', { twinId: view.twinId, versionId });
      setBusy(false);
      if (r.ok) {
        toast('ok', `Signed and queued for the chain: ${r.value.summary.split('\n')[0]}`);
        leaveReview(view.twinId, versionId);
      } else toast('error', `Could not commit: ${r.error.message}`);
      return;
    }
    const r = await api.call('twins.commitDraft', { twinId: view.twinId, versionId });
    setBusy(false);
    if (r.ok) {
      toast('ok', `Committed version ${r.value.seq} of ${twin?.name ?? 'the twin'} (local: not on a chain).`);
      leaveReview(view.twinId, r.value.id);
    } else toast('error', `Could not commit: ${r.error.message}`);
  };
  const discard = async () => {
    if (!view || view.versionId === undefined) return;
    setBusy(true);
    const r = await api.call('twins.discardDraft', { twinId: view.twinId, versionId: view.versionId });
    setBusy(false);
    if (r.ok) {
      toast('info', 'The draft was discarded.');
      if (isOpen(view.twinId)) openTwin(view.twinId);
    } else toast('error', `Could not discard: ${r.error.message}`);
  };
  return { commit, discard, busy };
}

export function ReviewBanner() {
  const { changeset, view, twins } = useWorkspace();
  const { commit, discard, busy } = useDraftActions();
  const twin = view ? twins?.find((t) => t.id === view.twinId) : undefined;
  const seq = twin?.draft?.seq;
  return (
    <div className="review-banner" data-testid="review-banner">
      <div>
        <strong>Reviewing draft{seq ? ` version ${seq}` : ''}</strong>
        {changeset ? (
          <span className="legend">
            <span>
              <i style={{ background: css(changeColours.added) }} /> {changeset.added} added
            </span>
            <span>
              <i style={{ background: css(changeColours.modified) }} /> {changeset.modified} modified
            </span>
            <span>
              <i style={{ background: css(changeColours.removed) }} /> {changeset.removed} removed
            </span>
          </span>
        ) : (
          <span className="muted"> · reading the changeset…</span>
        )}
      </div>
      <div className="actions">
        <button className="button" disabled={busy} onClick={() => void discard()}>
          Discard
        </button>
        <button className="button primary" disabled={busy} onClick={() => void commit()}>
          Commit as version
        </button>
      </div>
    </div>
  );
}
