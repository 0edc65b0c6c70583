// The twin list: every twin in the local cache, the open one with its models and draft, and the
// import actions (a new twin from an IFC file, a new iteration or discipline model of the open one).
import { useState } from 'react';
import { useWorkspace } from '../workspace';
import { ImportDialog, type ImportMode } from './ImportDialog';
import { Icon } from './icons';
import type { TwinSummary } from '../../../shared/api/twins';

const statusLabel: Record<string, string> = {
  draft: 'draft',
  local: 'local',
  queued: 'queued',
  confirmed: 'on chain',
};

export function TwinList() {
  const { twins, twinsError, view, openTwin, reviewDraft } = useWorkspace();
  const [importing, setImporting] = useState<ImportMode | null>(null);

  return (
    <nav className="twin-list" aria-label="Twins">
      <header className="panel-header">
        <h2>Twins</h2>
        <button
          className="button small"
          onClick={() => setImporting({ kind: 'newTwin' })}
          data-testid="import-ifc"
        >
          <Icon name="upload" size={14} /> Import IFC…
        </button>
      </header>
      {twinsError && <p className="empty-state error">{twinsError}</p>}
      {twins && twins.length === 0 && (
        <div className="empty-state" data-testid="twin-list-empty">
          <p className="empty-title">No twins yet</p>
          <p>
            Import an IFC model to create your first digital twin. The sandbox sample appears here once the
            chain is running.
          </p>
        </div>
      )}
      <ul className="twin-items">
        {twins?.map((twin) => (
          <TwinItem
            key={twin.id}
            twin={twin}
            open={view?.twinId === twin.id}
            reviewing={view?.twinId === twin.id && view.review}
            onOpen={() => view?.twinId !== twin.id && openTwin(twin.id)}
            onClose={() => openTwin(null)}
            onImport={setImporting}
            onReview={() => twin.draft && reviewDraft(twin.id, twin.draft.id)}
          />
        ))}
      </ul>
      {importing && <ImportDialog mode={importing} onClose={() => setImporting(null)} />}
    </nav>
  );
}

function TwinItem(props: {
  twin: TwinSummary;
  open: boolean;
  reviewing: boolean;
  onOpen: () => void;
  onClose: () => void;
  onImport: (mode: ImportMode) => void;
  onReview: () => void;
}) {
  const { twin, open } = props;
  const head = twin.head;
  return (
    <li className={open ? 'twin-item open' : 'twin-item'} data-testid="twin-item">
      {open && (
        <button
          className="icon-button twin-close"
          onClick={props.onClose}
          aria-label={`Close ${twin.name}`}
          title="Close"
        >
          ×
        </button>
      )}
      <button
        className="twin-row"
        onClick={props.onOpen}
        aria-expanded={open}
        aria-label={`Open ${twin.name}`}
      >
        <span className="twin-name">{twin.name}</span>
        <span className="twin-meta muted">
          {head ? `v${head.seq} · ${head.elementCount.toLocaleString()} elements` : 'no committed version'}
          {head && <span className={`chip ${head.status}`}>{statusLabel[head.status]}</span>}
        </span>
      </button>
      {twin.draft && (
        <div className="twin-draft">
          <span className="chip draft">draft v{twin.draft.seq}</span>
          {twin.draft.changeset && (
            <span className="muted">
              +{twin.draft.changeset.added} ~{twin.draft.changeset.modified} −{twin.draft.changeset.removed}
            </span>
          )}
          {!props.reviewing && (
            <button className="link" onClick={props.onReview}>
              Review
            </button>
          )}
        </div>
      )}
      {open && (
        <div className="twin-details">
          <ul className="model-list">
            {twin.models.map((m) => (
              <li key={m.id}>
                <span className="discipline">{m.discipline}</span>
                <span className="model-name" title={m.file?.fileName ?? 'only in the draft'}>
                  {m.name}
                </span>
                <button
                  className="link"
                  title="Import the next design iteration of this model"
                  disabled={!!twin.draft}
                  onClick={() => props.onImport({ kind: 'newIteration', twin, modelId: m.id })}
                >
                  New iteration…
                </button>
              </li>
            ))}
          </ul>
          <div className="twin-actions">
            <button
              className="button small"
              disabled={!!twin.draft}
              title={twin.draft ? 'Commit or discard the draft first' : 'Import the next design iteration'}
              onClick={() => props.onImport({ kind: 'newIteration', twin })}
              data-testid="import-iteration"
            >
              Import iteration…
            </button>
            <button
              className="button small"
              disabled={!!twin.draft}
              title={twin.draft ? 'Commit or discard the draft first' : 'Add another discipline model'}
              onClick={() => props.onImport({ kind: 'newModel', twin })}
            >
              Add model…
            </button>
          </div>
        </div>
      )}
    </li>
  );
}
