// Importing an IFC file: as a new twin, as a new discipline model of a twin, or as the next design
// iteration of one of its models (a draft to review). Shows the importer's progress and can cancel.
import { useEffect, useRef, useState } from 'react';
import { useApi, useEvent } from '../api-context';
import { useWorkspace } from '../workspace';
import { useEscapeKey } from './modal-keys';
import type { ImportResult, TwinSummary } from '../../../shared/api/twins';

export type ImportMode =
  | { kind: 'newTwin' }
  | { kind: 'newModel'; twin: TwinSummary }
  | { kind: 'newIteration'; twin: TwinSummary; modelId?: string };

const stageLabel: Record<string, string> = {
  queued: 'Waiting for the importer',
  reading: 'Reading the file',
  parsing: 'Parsing IFC',
  properties: 'Reading property sets',
  geometry: 'Tessellating geometry',
  fingerprinting: 'Fingerprinting elements',
  storing: 'Storing the version',
  done: 'Done',
};

const disciplines = ['ARCH', 'STR', 'MEP', 'ELEC', 'HVAC', 'PLUMB', 'SITE', 'OTHER'];

const baseName = (fileName: string) =>
  fileName
    .replace(/\.ifc$/i, '')
    .replace(/[_-]+/g, ' ')
    .trim();

export function ImportDialog({ mode, onClose }: { mode: ImportMode; onClose: () => void }) {
  const api = useApi();
  const { openTwin, reviewDraft, toast } = useWorkspace();
  const inputRef = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [twinName, setTwinName] = useState('');
  // The name follows the picked file until the user types one.
  const [nameTyped, setNameTyped] = useState(false);
  const [discipline, setDiscipline] = useState('ARCH');
  const [modelId, setModelId] = useState(
    mode.kind === 'newIteration' ? (mode.modelId ?? mode.twin.models[0]?.id ?? '') : '',
  );
  const [job, setJob] = useState<{ id: string; stage: string; percent: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState(false);
  // The import limit (settings: maxImportMegabytes), so that a file over it is said at once, not
  // after it has been read and sent.
  const [limitMb, setLimitMb] = useState<number | null>(null);
  const jobRef = useRef<string | null>(null);
  // Answers that come after the dialog has gone (closed meanwhile) must not close the next one.
  const mounted = useRef(true);

  useEffect(() => {
    mounted.current = true;
    // Open the system file picker straight away; the dialog stays for the details.
    inputRef.current?.click();
    void api.call('settings.get', {}).then((r) => {
      if (r.ok && mounted.current) setLimitMb(r.value.maxImportMegabytes);
    });
    return () => {
      mounted.current = false;
    };
  }, [api]);

  // The limit changed meanwhile (here, or by another window or client).
  useEvent('settings.changed', (settings) => setLimitMb(settings.maxImportMegabytes));

  useEvent('twins.importProgress', (p) => {
    if (p.jobId === jobRef.current) setJob({ id: p.jobId, stage: p.stage, percent: p.percent });
  });

  const title =
    mode.kind === 'newTwin'
      ? 'Import IFC as a new twin'
      : mode.kind === 'newModel'
        ? `Add a model to ${mode.twin.name}`
        : `Import a new iteration into ${mode.twin.name}`;

  const pick = (f: File | null) => {
    setFile(f);
    setError(null);
    if (f && !nameTyped) setTwinName(baseName(f.name));
  };

  const sizeMb = file ? file.size / (1024 * 1024) : 0;
  const overLimit = file !== null && limitMb !== null && sizeMb > limitMb;
  // The next limit that takes the file: a whole number of 256 MB, at most the setting's 4096.
  const raisedLimit = Math.min(4096, Math.ceil(sizeMb / 256) * 256);
  const raiseLimit = async () => {
    const r = await api.call('settings.update', { maxImportMegabytes: raisedLimit });
    if (!mounted.current) return;
    if (r.ok) setLimitMb(r.value.maxImportMegabytes);
    else setError(`Could not change the import limit: ${r.error.message}`);
  };

  const start = async () => {
    if (!file || overLimit) return;
    const jobId = `import-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    jobRef.current = jobId;
    setError(null);
    setJob({ id: jobId, stage: 'reading', percent: 0 });
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(await file.arrayBuffer());
    } catch (e) {
      // Moved, deleted or rewritten since it was picked, or too large to hold here.
      if (!mounted.current) return;
      jobRef.current = null;
      setJob(null);
      setCancelling(false);
      setError(
        `Could not read ${file.name}: ${e instanceof Error ? e.message : String(e)}. Choose it again.`,
      );
      return;
    }
    if (!mounted.current) return;
    // Cancel pressed while the file was still being read here (it let go of the job): main has
    // not heard of the job yet.
    if (jobRef.current !== jobId) {
      setJob(null);
      toast('info', 'Import cancelled.');
      onClose();
      return;
    }
    const target =
      mode.kind === 'newTwin'
        ? ({ kind: 'newTwin', twinName: twinName.trim() || baseName(file.name) } as const)
        : mode.kind === 'newModel'
          ? ({ kind: 'newModel', twinId: mode.twin.id } as const)
          : ({ kind: 'newIteration', twinId: mode.twin.id, modelId } as const);
    const r = await api.call('twins.import', {
      jobId,
      source: { kind: 'bytes', fileName: file.name, bytes },
      target,
      ...(mode.kind !== 'newIteration' ? { modelName: baseName(file.name), discipline } : {}),
    });
    jobRef.current = null;
    if (!mounted.current) return;
    setCancelling(false);
    if (!r.ok) {
      setJob(null);
      if (r.error.code === 'CANCELLED') {
        toast('info', 'Import cancelled.');
        onClose();
      } else setError(r.error.message);
      return;
    }
    finished(r.value);
  };

  const finished = (result: ImportResult) => {
    const warnings = result.warnings.length ? ` ${result.warnings.length} warning(s).` : '';
    if (mode.kind === 'newIteration' || (mode.kind === 'newModel' && result.status === 'draft')) {
      const { added, modified, removed } = result.changeset;
      toast(
        'ok',
        `Imported ${result.fileName}: ${added} added, ${modified} modified, ${removed} removed. Review, then commit.${warnings}`,
      );
      reviewDraft(result.twinId, result.versionId);
    } else {
      toast(
        'ok',
        `Imported ${result.fileName}: ${result.elementCount} elements in ${(result.durationMs / 1000).toFixed(1)} s.${warnings}`,
      );
      openTwin(result.twinId);
    }
    onClose();
  };

  // Cancelling waits for the importer's answer (it says when the store is as it was, or that the
  // import had finished by then): the dialog stays, its button disabled, until then.
  const cancel = async () => {
    const jobId = jobRef.current;
    if (job && jobId) {
      jobRef.current = null;
      setCancelling(true);
      await api.call('twins.cancelImport', { jobId });
    } else if (!job) onClose();
  };

  const running = job !== null;
  const backdrop = useRef<HTMLDivElement>(null);
  useEscapeKey(backdrop, onClose, running);
  return (
    <div className="modal-backdrop" ref={backdrop}>
      <div className="modal" role="dialog" aria-modal="true" aria-label={title} data-testid="import-dialog">
        <header>
          <h3>{title}</h3>
        </header>
        <div className="modal-body">
          <input
            ref={inputRef}
            type="file"
            accept=".ifc,.IFC"
            hidden
            data-testid="import-file-input"
            onChange={(e) => pick(e.target.files?.[0] ?? null)}
          />
          <div className="file-row">
            <button className="button" disabled={running} onClick={() => inputRef.current?.click()}>
              Choose file…
            </button>
            <span className={file ? '' : 'muted'} data-testid="import-file-name">
              {file
                ? `${file.name} · ${(file.size / 1024 / 1024).toFixed(1)} MB`
                : 'No file chosen (IFC 2x3 or IFC4)'}
            </span>
          </div>
          {mode.kind === 'newTwin' && (
            <label className="field">
              <span>Twin name</span>
              <input
                value={twinName}
                disabled={running}
                onChange={(e) => {
                  setTwinName(e.target.value);
                  setNameTyped(true);
                }}
              />
            </label>
          )}
          {mode.kind !== 'newIteration' && (
            <label className="field">
              <span>Discipline</span>
              <select value={discipline} disabled={running} onChange={(e) => setDiscipline(e.target.value)}>
                {disciplines.map((d) => (
                  <option key={d}>{d}</option>
                ))}
              </select>
            </label>
          )}
          {mode.kind === 'newIteration' && (
            <label className="field">
              <span>Replaces model</span>
              <select value={modelId} disabled={running} onChange={(e) => setModelId(e.target.value)}>
                {mode.twin.models.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.name} ({m.discipline}){m.file ? ` · ${m.file.fileName}` : ''}
                  </option>
                ))}
              </select>
              <small className="muted">
                The import becomes a draft version: you review its changes before committing it.
              </small>
            </label>
          )}
          {job && (
            <div
              className="import-progress"
              role="progressbar"
              aria-label="Import progress"
              aria-valuenow={job.percent}
              aria-valuemin={0}
              aria-valuemax={100}
              data-testid="import-progress"
            >
              <div className="import-stage">
                <span>{stageLabel[job.stage] ?? job.stage}</span>
                <span>{Math.round(job.percent)}%</span>
              </div>
              <div className="bar">
                <div style={{ width: `${job.percent}%` }} />
              </div>
            </div>
          )}
          {overLimit && !running && (
            <div className="form-error" role="alert" data-testid="import-over-limit">
              <p>
                {file.name} is {sizeMb.toFixed(1)} MB, over the import limit of {limitMb} MB.
              </p>
              {raisedLimit >= sizeMb && (
                <button className="button" onClick={() => void raiseLimit()}>
                  Raise the limit to {raisedLimit} MB
                </button>
              )}
            </div>
          )}
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
        </div>
        <footer>
          <button className="button" disabled={cancelling} onClick={() => void cancel()}>
            {cancelling ? 'Cancelling…' : running ? 'Cancel import' : 'Close'}
          </button>
          <button
            className="button primary"
            disabled={!file || running || overLimit || (mode.kind === 'newIteration' && !modelId)}
            onClick={() => void start()}
          >
            Import
          </button>
        </footer>
      </div>
    </div>
  );
}
