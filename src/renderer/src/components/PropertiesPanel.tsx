// The properties of the selected element: identity, property sets and quantities with units, type,
// classification, systems and ports, and the Merkle proof of its state in the shown version,
// verified here against the version's root. With a live EDITOR role (main's verdict) the element's
// own property values edit in place, properties and sets are added and removed, its status is set
// and the move gizmo is one click away; without it every control is disabled with main's reason.
// Its own history (the versions in which it changed) is at the bottom.
import { useEffect, useMemo, useRef, useState } from 'react';
import { useApi } from '../api-context';
import { useWorkspace } from '../workspace';
import { verifyElementProof } from '../../../shared/fingerprint';
import type { ElementDetail, ElementProof } from '../../../shared/api/twins';
import { indexTree } from './Navigator';
import { classColourCss } from '../viewer/palette';
import { Icon } from './icons';
import { useEditing } from './PendingChanges';
import { ElementHistorySection } from './HistoryPanel';
import {
  ElementStatus,
  STATUS_PROPERTY,
  STATUS_PROPERTY_SET,
  type ScalarValue,
} from '../../../shared/api/edits';
import { VerifiedBadge } from './VerifiedBadge';

type PropertySet = ElementDetail['propertySets'][number];

export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return String(value);
    return Number.isInteger(value)
      ? value.toLocaleString('en')
      : Number(value.toPrecision(6)).toLocaleString('en', { maximumFractionDigits: 4 });
  }
  if (typeof value === 'string') return value === '' ? '""' : value;
  if (Array.isArray(value)) return value.map(formatValue).join(', ');
  return JSON.stringify(value);
}

const short = (hex: string) => `${hex.slice(0, 10)}…${hex.slice(-6)}`;

export function PropertiesPanel() {
  const api = useApi();
  const { view, selection, tree, twins } = useWorkspace();
  const editing = useEditing();
  const key = selection[0];
  const twin = view ? twins?.find((t) => t.id === view.twinId) : undefined;
  // Edits apply to the latest state: the head, or the draft built on it.
  const draftId = editing.draft?.versionId ?? null;
  const onLatest =
    !!view && !view.review && (view.versionId === draftId || view.versionId === twin?.head?.id);
  const editable = editing.canEdit && onLatest && selection.length === 1;
  const whyNot = !editing.canEdit
    ? editing.reason
    : !onLatest
      ? view?.review
        ? 'An imported iteration is under review: commit or discard it first.'
        : 'This is an older version: open the latest one to edit.'
      : selection.length > 1
        ? 'Select one element to edit it.'
        : null;
  // Refetch after every change to the draft shown.
  const shownRoot = view?.versionId === draftId ? editing.draft?.merkleRoot : null;
  // The element as read for this twin, version and key (`at`; a draft's edits refetch it in place).
  const [detail, setDetail] = useState<
    { at: string; value: ElementDetail } | { at: string; error: string } | null
  >(null);
  const detailAt = `${view?.twinId}/${view?.versionId}/${key}`;
  // The proof asked for this element of this version (`at`), or why it could not be read.
  const [proof, setProof] = useState<
    { at: string; value: ElementProof; verified: boolean } | { at: string; error: string } | null
  >(null);
  const proofAt = `${view?.twinId}/${view?.versionId}/${key}/${shownRoot}`;
  const names = useMemo(() => {
    const idx = indexTree(tree);
    const byGlobalId = new Map<string, string>();
    for (const node of idx.node.values()) byGlobalId.set(node.globalId, node.name ?? node.ifcClass);
    return byGlobalId;
  }, [tree]);

  useEffect(() => {
    if (!view || !key) {
      setDetail(null);
      setProof(null);
      return;
    }
    let live = true;
    const version = view.versionId !== undefined ? { versionId: view.versionId } : {};
    void api
      .call('twins.element', { twinId: view.twinId, ...version, element: { elementKey: key } })
      .then((r) => {
        if (live)
          setDetail(r.ok ? { at: detailAt, value: r.value } : { at: detailAt, error: r.error.message });
      });
    void api
      .call('twins.elementProof', { twinId: view.twinId, ...version, element: { elementKey: key } })
      .then((r) => {
        if (!live) return;
        if (!r.ok) {
          setProof({ at: proofAt, error: r.error.message });
          return;
        }
        const p = r.value;
        setProof({
          at: proofAt,
          value: p,
          verified: verifyElementProof(p.merkleRoot, p.elementKey, p.stateHash, p.proof),
        });
      });
    return () => {
      live = false;
    };
  }, [api, view, key, shownRoot, proofAt, detailAt]);

  if (!view)
    return <div className="empty-state">Open a twin, then select an element in the 3D view or the tree.</div>;
  if (!key) {
    return (
      <div className="empty-state" data-testid="properties-empty">
        <p className="empty-title">Nothing selected</p>
        <p>Click an element in the 3D view, the spatial tree or the search results to see its properties.</p>
      </div>
    );
  }
  if (!detail || detail.at !== detailAt) return <div className="empty-state">Loading…</div>;
  if ('error' in detail) return <div className="empty-state error">{detail.error}</div>;
  const e = detail.value;
  const psets = e.propertySets.filter((p) => p.kind === 'pset');
  const qtos = e.propertySets.filter((p) => p.kind === 'qto');
  const nameOf = (globalId: string | null) => (globalId ? (names.get(globalId) ?? globalId) : null);
  const status = e.propertySets
    .find((p) => p.name === STATUS_PROPERTY_SET)
    ?.properties.find((p) => p.name === STATUS_PROPERTY)?.value;
  const edit = editable ? (op: Parameters<typeof editing.apply>[1]) => editing.apply(e.elementKey, op) : null;
  return (
    <div className="properties" data-testid="properties" data-global-id={e.globalId}>
      <header className="element-header">
        <i className="swatch large" style={{ background: classColourCss(e.ifcClass) }} />
        <div>
          <div className="element-name" data-testid="properties-name">
            {e.name ?? e.ifcClass.replace(/^Ifc/, '')}
          </div>
          <div className="muted">
            {e.ifcClass}
            {e.predefinedType && e.predefinedType !== 'NOTDEFINED' ? ` · ${e.predefinedType}` : ''}
            {selection.length > 1 ? ` · ${selection.length} selected` : ''}
          </div>
        </div>
      </header>
      <div className="edit-controls" data-testid="edit-controls" data-editable={editable}>
        <label title={whyNot ?? 'The element’s operational status (recorded in TwinLedger_Status)'}>
          Status
          <select
            data-testid="status-select"
            value={typeof status === 'string' ? status : ''}
            disabled={!editable || editing.busy}
            onChange={(ev) => {
              const next = ElementStatus.safeParse(ev.target.value);
              if (next.success) void edit?.({ kind: 'setStatus', status: next.data });
            }}
          >
            <option value="" disabled>
              not set
            </option>
            {ElementStatus.options.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </label>
        <button
          className={editing.moving ? 'button small active' : 'button small'}
          disabled={!editable || e.meshCount === 0}
          title={
            whyNot ??
            (e.meshCount === 0 ? 'This element has no geometry to move.' : 'Move with the gizmo (M)')
          }
          onClick={() => editing.setMoving(!editing.moving)}
          data-testid="move-toggle"
          aria-pressed={editing.moving}
        >
          {!editable && <Icon name="lock" size={12} />} {editing.moving ? 'Moving… (Esc)' : 'Move'}
        </button>
        {whyNot && (
          <p className="readonly-note" data-testid="edit-disabled-reason">
            <Icon name="lock" size={12} /> {whyNot}
          </p>
        )}
      </div>
      <Section title="Element" open>
        <Rows
          rows={[
            ['GlobalId', e.globalId],
            ['Class', e.ifcClass],
            ['Name', e.name],
            ['Description', e.description],
            ['Object type', e.objectType],
            ['Tag', e.tag],
            ['Predefined type', e.predefinedType],
            ['Storey', nameOf(e.storey)],
            ['Contained in', nameOf(e.container)],
            ['Part of', nameOf(e.decomposes)],
            ['Meshes', String(e.meshCount)],
          ]}
        />
      </Section>
      {psets.map((p) => (
        <PropertySetSection key={`p-${p.name}`} set={p} edit={edit} />
      ))}
      {qtos.map((p) => (
        <PropertySetSection key={`q-${p.name}`} set={p} edit={edit} />
      ))}
      <AddProperty
        sets={e.propertySets.map((p) => p.name)}
        edit={edit}
        disabledReason={whyNot}
        key={`add-${e.elementKey}`}
      />
      {e.type && (
        <Section title={`Type · ${e.type.name ?? e.type.ifcClass}`}>
          <Rows
            rows={[
              ['Class', e.type.ifcClass],
              ['GlobalId', e.type.globalId],
              ['Predefined type', e.type.predefinedType],
            ]}
          />
          {e.type.propertySets.map((p) => (
            <PropertySetSection key={`t-${p.name}`} set={p} nested />
          ))}
        </Section>
      )}
      {(e.classifications.length > 0 || e.type?.classifications.length) && (
        <Section title="Classification" open>
          <Rows
            rows={[...e.classifications, ...(e.type?.classifications ?? [])].map((c) => [
              c.system ?? 'Classification',
              [c.code, c.name].filter(Boolean).join(' · '),
            ])}
          />
        </Section>
      )}
      {e.systems.length > 0 && (
        <Section title="Systems" open>
          <Rows rows={e.systems.map((s) => [s.name ?? 'System', s.globalId])} />
        </Section>
      )}
      {e.ports.length > 0 && (
        <Section title={`Ports (${e.ports.length})`}>
          <Rows
            rows={e.ports.map((p) => [
              `${p.name ?? p.globalId}${p.flowDirection ? ` (${p.flowDirection})` : ''}`,
              p.connectedTo.map((c) => nameOf(c.element) ?? c.port).join(', ') || 'not connected',
            ])}
          />
        </Section>
      )}
      <VerifiedBadge twinId={view.twinId} versionId={view.versionId} elementKey={key} />
      <ProofSection proof={proof && proof.at === proofAt ? proof : null} stateHash={e.stateHash} />
      <ElementHistorySection
        twinId={view.twinId}
        elementKey={e.elementKey}
        refresh={shownRoot ?? e.stateHash}
      />
    </div>
  );
}

type Edit = ((op: Parameters<ReturnType<typeof useEditing>['apply']>[1]) => Promise<boolean>) | null;

/** Parses what was typed for a property whose current value is `old`: same kind, or an error. */
export function parseValue(old: unknown, text: string): { value: ScalarValue } | { error: string } {
  if (typeof old === 'number') {
    const n = Number(text.trim().replace(',', '.'));
    if (text.trim() === '' || !Number.isFinite(n)) return { error: 'Enter a number.' };
    return { value: n };
  }
  if (typeof old === 'boolean') {
    const t = text.trim().toLowerCase();
    if (['yes', 'true', '1'].includes(t)) return { value: true };
    if (['no', 'false', '0'].includes(t)) return { value: false };
    return { error: 'Enter yes or no.' };
  }
  return { value: text };
}

function EditableValue({
  property,
  onSave,
}: {
  property: PropertySet['properties'][number];
  onSave: (value: ScalarValue) => Promise<boolean>;
}) {
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const shown = `${formatValue(property.value)}${property.unit ? ` ${property.unit}` : ''}`;
  if (property.value !== null && typeof property.value === 'object') return <td title={shown}>{shown}</td>;
  if (text === null) {
    return (
      <td
        className="editable"
        title={`${shown} · click to edit`}
        tabIndex={0}
        data-testid="property-value"
        onClick={() =>
          setText(
            typeof property.value === 'boolean'
              ? property.value
                ? 'yes'
                : 'no'
              : String(property.value ?? ''),
          )
        }
        onKeyDown={(ev) => {
          if (ev.key === 'Enter') setText(String(property.value ?? ''));
        }}
      >
        {shown}
      </td>
    );
  }
  const save = async () => {
    const parsed = parseValue(property.value, text);
    if ('error' in parsed) {
      setError(parsed.error);
      return;
    }
    if (parsed.value === property.value) {
      setText(null);
      return;
    }
    if (await onSave(parsed.value)) setText(null);
  };
  return (
    <td>
      <input
        ref={input}
        autoFocus
        onFocus={(ev) => ev.target.select()}
        value={text}
        aria-label={`New value of ${property.name}`}
        data-testid="property-input"
        aria-invalid={!!error}
        title={error ?? 'Enter to save, Esc to cancel'}
        onChange={(ev) => {
          setText(ev.target.value);
          setError(null);
        }}
        onKeyDown={(ev) => {
          if (ev.key === 'Enter') void save();
          if (ev.key === 'Escape') {
            ev.stopPropagation();
            setText(null);
            setError(null);
          }
        }}
        onBlur={() => {
          if (!error) setText(null);
        }}
      />
      {error && <div className="error small">{error}</div>}
    </td>
  );
}

function AddProperty({
  sets,
  edit,
  disabledReason,
}: {
  sets: string[];
  edit: Edit;
  disabledReason: string | null;
}) {
  const [open, setOpen] = useState(false);
  const [set, setSet] = useState('');
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'text' | 'number' | 'boolean'>('text');
  const [value, setValue] = useState('');
  const [unit, setUnit] = useState('');
  const [error, setError] = useState<string | null>(null);
  if (!open) {
    return (
      <div className="add-property-closed">
        <button
          className="link"
          disabled={!edit}
          title={disabledReason ?? 'Add a property (in an existing or a new property set)'}
          onClick={() => setOpen(true)}
          data-testid="add-property"
        >
          + Add property…
        </button>
      </div>
    );
  }
  const submit = async () => {
    if (!edit) return;
    if (!set.trim() || !name.trim()) {
      setError('Name the property set and the property.');
      return;
    }
    const parsed = parseValue(kind === 'number' ? 0 : kind === 'boolean' ? false : '', value);
    if ('error' in parsed) {
      setError(parsed.error);
      return;
    }
    const ok = await edit({
      kind: 'addProperty',
      set: set.trim(),
      property: name.trim(),
      value: parsed.value,
      ...(kind === 'number' && unit.trim() ? { unit: unit.trim() } : {}),
    });
    if (ok) {
      setOpen(false);
      setName('');
      setValue('');
      setUnit('');
    }
  };
  return (
    <form
      className="add-property"
      data-testid="add-property-form"
      onSubmit={(ev) => {
        ev.preventDefault();
        void submit();
      }}
    >
      <input
        list="property-set-names"
        placeholder="Property set (new or existing)"
        value={set}
        onChange={(ev) => setSet(ev.target.value)}
        className="wide"
        aria-label="Property set"
        autoFocus
      />
      <datalist id="property-set-names">
        {sets.map((s) => (
          <option key={s} value={s} />
        ))}
      </datalist>
      <input
        placeholder="Property name"
        value={name}
        onChange={(ev) => setName(ev.target.value)}
        aria-label="Property name"
      />
      <select value={kind} onChange={(ev) => setKind(ev.target.value as typeof kind)} aria-label="Value type">
        <option value="text">Text</option>
        <option value="number">Number</option>
        <option value="boolean">Yes / no</option>
      </select>
      <input
        placeholder={kind === 'boolean' ? 'yes or no' : 'Value'}
        value={value}
        onChange={(ev) => setValue(ev.target.value)}
        aria-label="Property value"
        className={kind === 'number' ? '' : 'wide'}
      />
      {kind === 'number' && (
        <input
          placeholder="Unit (optional)"
          value={unit}
          onChange={(ev) => setUnit(ev.target.value)}
          aria-label="Unit"
        />
      )}
      {error && <div className="error small wide">{error}</div>}
      <footer>
        <button type="button" className="button small" onClick={() => setOpen(false)}>
          Cancel
        </button>
        <button type="submit" className="button small primary" data-testid="add-property-save">
          Add
        </button>
      </footer>
    </form>
  );
}

function ProofSection({
  proof,
  stateHash,
}: {
  proof: { value: ElementProof; verified: boolean } | { error: string } | null;
  stateHash: string;
}) {
  return (
    <Section title="Proof" open>
      {!proof ? (
        <p className="muted small-pad">Reading the proof…</p>
      ) : 'error' in proof ? (
        <p className="small-pad error" role="alert" data-testid="proof-error">
          Could not read the proof: {proof.error}
        </p>
      ) : (
        <div className="proof" data-testid="proof">
          <div className={proof.verified ? 'proof-check ok' : 'proof-check bad'} data-testid="proof-local">
            <Icon name={proof.verified ? 'check' : 'close'} size={14} />
            {proof.verified
              ? `State is in version ${proof.value.seq}: proof checked here against its Merkle root`
              : 'The proof does NOT match the version root'}
          </div>
          <Rows
            rows={[
              ['Version root', short(proof.value.merkleRoot)],
              ['State hash', short(stateHash)],
              ['Element key', short(proof.value.elementKey)],
              ['Proof', `${proof.value.proof.length} sibling hashes`],
            ]}
          />
        </div>
      )}
    </Section>
  );
}

function PropertySetSection({ set, nested, edit }: { set: PropertySet; nested?: boolean; edit?: Edit }) {
  if (!edit || nested) {
    return (
      <Section title={set.name} badge={set.kind === 'qto' ? 'Qto' : undefined} nested={nested} open={!nested}>
        <Rows
          rows={set.properties.map((p) => [p.name, `${formatValue(p.value)}${p.unit ? ` ${p.unit}` : ''}`])}
        />
      </Section>
    );
  }
  return (
    <Section
      title={set.name}
      badge={set.kind === 'qto' ? 'Qto' : undefined}
      open
      action={
        <button
          className="row-action set-action"
          title={`Remove the property set ${set.name}`}
          aria-label={`Remove the property set ${set.name}`}
          onClick={(ev) => {
            ev.preventDefault();
            void edit({ kind: 'removePropertySet', set: set.name });
          }}
        >
          ×
        </button>
      }
    >
      <table className="prop-table editing" data-testid="pset" data-pset={set.name}>
        <tbody>
          {set.properties.map((p) => (
            <tr key={p.name} data-property={p.name}>
              <th title={p.name}>{p.name}</th>
              <EditableValue
                property={p}
                onSave={(value) => edit({ kind: 'setProperty', set: set.name, property: p.name, value })}
              />
              <td className="action-cell">
                <button
                  className="row-action"
                  title={`Remove ${p.name}`}
                  aria-label={`Remove ${p.name}`}
                  onClick={() => void edit({ kind: 'removeProperty', set: set.name, property: p.name })}
                >
                  ×
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

function Section(props: {
  title: string;
  badge?: string;
  open?: boolean;
  nested?: boolean;
  action?: React.ReactNode;
  children: React.ReactNode;
}) {
  return (
    <details className={props.nested ? 'prop-section nested' : 'prop-section'} open={props.open}>
      <summary>
        {props.title}
        {props.badge && <span className="chip">{props.badge}</span>}
        {props.action}
      </summary>
      {props.children}
    </details>
  );
}

function Rows({ rows }: { rows: [string, string | null][] }) {
  const shown = rows.filter(([, v]) => v !== null && v !== '');
  if (shown.length === 0) return <p className="muted small-pad">None</p>;
  return (
    <table className="prop-table">
      <tbody>
        {shown.map(([k, v], i) => (
          <tr key={`${k}-${i}`}>
            <th title={k}>{k}</th>
            <td title={v ?? ''}>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
