// The properties of the selected element: identity, property sets and quantities with units, type,
// classification, systems and ports, and the Merkle proof of its state in the shown version,
// verified here against the version's root (the on-chain check arrives with sync).
import { useEffect, useMemo, useState } from 'react';
import { useApi } from '../api-context';
import { useWorkspace } from '../workspace';
import { verifyElementProof } from '../../../shared/fingerprint';
import type { ElementDetail, ElementProof } from '../../../shared/api/twins';
import { indexTree } from './Navigator';
import { classColourCss } from '../viewer/palette';
import { Icon } from './icons';
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
  const { view, selection, tree } = useWorkspace();
  const key = selection[0];
  const [detail, setDetail] = useState<
    { key: string; value: ElementDetail } | { key: string; error: string } | null
  >(null);
  const [proof, setProof] = useState<{ key: string; value: ElementProof; verified: boolean } | null>(null);
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
        if (live) setDetail(r.ok ? { key, value: r.value } : { key, error: r.error.message });
      });
    void api
      .call('twins.elementProof', { twinId: view.twinId, ...version, element: { elementKey: key } })
      .then((r) => {
        if (!live || !r.ok) return;
        const p = r.value;
        setProof({
          key,
          value: p,
          verified: verifyElementProof(p.merkleRoot, p.elementKey, p.stateHash, p.proof),
        });
      });
    return () => {
      live = false;
    };
  }, [api, view, key]);

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
  if (!detail || detail.key !== key) return <div className="empty-state">Loading…</div>;
  if ('error' in detail) return <div className="empty-state error">{detail.error}</div>;
  const e = detail.value;
  const psets = e.propertySets.filter((p) => p.kind === 'pset');
  const qtos = e.propertySets.filter((p) => p.kind === 'qto');
  const nameOf = (globalId: string | null) => (globalId ? (names.get(globalId) ?? globalId) : null);
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
        <button
          className="button small"
          disabled
          title="Editing needs a live EDITOR role on this twin; roles are read from the chain once sync is connected."
        >
          <Icon name="lock" size={12} /> Edit
        </button>
      </header>
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
        <PropertySetSection key={`p-${p.name}`} set={p} />
      ))}
      {qtos.map((p) => (
        <PropertySetSection key={`q-${p.name}`} set={p} />
      ))}
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
      <ProofSection proof={proof && proof.key === key ? proof : null} stateHash={e.stateHash} />
    </div>
  );
}

function ProofSection({
  proof,
  stateHash,
}: {
  proof: { value: ElementProof; verified: boolean } | null;
  stateHash: string;
}) {
  return (
    <Section title="Proof" open>
      {!proof ? (
        <p className="muted small-pad">Reading the proof…</p>
      ) : (
        <div className="proof" data-testid="proof">
          <div className={proof.verified ? 'proof-check ok' : 'proof-check bad'} data-testid="proof-local">
            <Icon name={proof.verified ? 'check' : 'close'} size={14} />
            {proof.verified
              ? `State is in version ${proof.value.seq}: proof checked here against its Merkle root`
              : 'The proof does NOT match the version root'}
          </div>
          <div
            className="proof-check pending"
            title="Needs the chain sync layer (indexer and contract reads)."
          >
            <Icon name="lock" size={14} /> On-chain check: available once the twin is synced to the chain
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

function PropertySetSection({ set, nested }: { set: PropertySet; nested?: boolean }) {
  return (
    <Section title={set.name} badge={set.kind === 'qto' ? 'Qto' : undefined} nested={nested} open={!nested}>
      <Rows
        rows={set.properties.map((p) => [p.name, `${formatValue(p.value)}${p.unit ? ` ${p.unit}` : ''}`])}
      />
    </Section>
  );
}

function Section(props: {
  title: string;
  badge?: string;
  open?: boolean;
  nested?: boolean;
  children: React.ReactNode;
}) {
  return (
    <details className={props.nested ? 'prop-section nested' : 'prop-section'} open={props.open}>
      <summary>
        {props.title}
        {props.badge && <span className="chip">{props.badge}</span>}
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
