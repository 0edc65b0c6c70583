// The changeset of the draft under review: added / modified / removed elements with the fields
// that changed and their old and new values, each linked to the element in 3D, and the commit.
// Outside an import review the tab lists the pending edits instead (PendingChanges).
import { useEffect, useMemo, useState } from 'react';
import { useApi } from '../api-context';
import { useWorkspace } from '../workspace';
import { useDraftActions } from './ReviewBanner';
import { formatValue } from './PropertiesPanel';
import type { Changeset, ElementDetail } from '../../../shared/api/twins';
import { PendingChangesPanel } from './PendingChanges';
import { propertyAtPath, type NamedSet } from '../../../shared/property-paths';

type Entry = Changeset['entries'][number];
type Kind = Entry['change'];

type ShownSet = NamedSet & { properties: { name: string; value: unknown; unit?: string | null }[] };

/** An element's property sets (its type's with `inType`), if it has them. */
function setsOf(element: unknown, inType: boolean): ShownSet[] | undefined {
  const holder = inType ? (element as { type?: unknown } | null | undefined)?.type : element;
  const sets = (holder as { propertySets?: unknown } | null | undefined)?.propertySets;
  return Array.isArray(sets) ? (sets as ShownSet[]) : undefined;
}

/**
 * Resolves a changeset path (`propertySets.Pset_DoorCommon.FireRating`, `placement`) in an element.
 * Property paths (`<set> [Qto]`, `#2` repeats, dotted names) go through propertyAtPath; `other`
 * (the element on the other side of the diff) tells their `[Qto]` markers apart exactly.
 */
export function valueAtPath(element: unknown, path: string, other?: unknown): unknown {
  const inType = path.startsWith('type.propertySets.');
  if (inType || path.startsWith('propertySets.')) {
    const sets = setsOf(element, inType);
    if (!sets) return undefined;
    const rest = path.slice((inType ? 'type.propertySets.' : 'propertySets.').length);
    const found = propertyAtPath(sets, rest, other === undefined ? undefined : (setsOf(other, inType) ?? []));
    if (!found) return undefined;
    if (!found.property) return found.set;
    const p = found.property;
    return p.unit ? `${formatValue(p.value)} ${p.unit}` : p.value;
  }
  let current: unknown = element;
  for (const segment of path.split('.')) {
    if (current === null || current === undefined) return undefined;
    if (Array.isArray(current)) {
      current = current.find(
        (item: unknown) =>
          typeof item === 'object' &&
          item !== null &&
          ((item as { name?: unknown }).name === segment ||
            (item as { globalId?: unknown }).globalId === segment),
      );
      if (current && typeof current === 'object' && 'properties' in current) continue;
      if (current && typeof current === 'object' && 'value' in current) {
        const p = current as { value: unknown; unit?: string | null };
        current = p.unit ? `${formatValue(p.value)} ${p.unit}` : p.value;
      }
      continue;
    }
    if (typeof current === 'object') {
      const obj = current as Record<string, unknown>;
      current =
        segment in obj
          ? obj[segment]
          : (obj['properties'] as unknown[] | undefined)?.find(
              (p) => (p as { name?: string }).name === segment,
            );
      if (current && typeof current === 'object' && 'value' in current && !Array.isArray(current)) {
        const p = current as { value: unknown; unit?: string | null };
        current = p.unit ? `${formatValue(p.value)} ${p.unit}` : p.value;
      }
      continue;
    }
    return undefined;
  }
  return current;
}

export function describeValue(path: string, value: unknown): string {
  if (value === undefined) return '(none)';
  if (path === 'placement' && Array.isArray(value) && value.length === 16) {
    const [x, y, z] = [value[12], value[13], value[14]].map((v) => Number(v).toFixed(3));
    return `at (${x}, ${y}, ${z}) m`;
  }
  if (path === 'geometry' && typeof value === 'string') return `shape ${value.slice(0, 10)}…`;
  if (Array.isArray(value))
    return value.length ? `${value.length} item${value.length === 1 ? '' : 's'}` : 'none';
  if (value && typeof value === 'object') return JSON.stringify(value).slice(0, 80);
  return formatValue(value);
}

export function ChangesPanel() {
  const { changeset, view, select, selection, viewer } = useWorkspace();
  const { commit, discard, busy } = useDraftActions();
  const [filter, setFilter] = useState<Kind | 'all'>('all');
  const [open, setOpen] = useState<string | null>(null);
  const entries = useMemo(
    () => (changeset?.entries ?? []).filter((e) => filter === 'all' || e.change === filter),
    [changeset, filter],
  );
  if (!view?.review) return <PendingChangesPanel />;
  if (!changeset) return <div className="empty-state">Reading the changeset…</div>;
  return (
    <div className="changes" data-testid="changes">
      <div className="change-filters" role="radiogroup" aria-label="Show changes">
        {(['all', 'added', 'modified', 'removed'] as const).map((k) => (
          <button
            key={k}
            role="radio"
            aria-checked={filter === k}
            className={`chip-button ${k}${filter === k ? ' active' : ''}`}
            onClick={() => setFilter(k)}
          >
            {k === 'all' ? `All ${changeset.entries.length}` : `${k} ${changeset[k]}`}
          </button>
        ))}
      </div>
      {changeset.entries.length === 0 && <p className="empty-state">This iteration changes nothing.</p>}
      <ul className="change-list">
        {entries.map((e) => (
          <li
            key={e.elementKey}
            className={`change-entry ${e.change}${selection.includes(e.elementKey) ? ' selected' : ''}`}
            data-testid="change-entry"
            data-change={e.change}
          >
            <button
              className="change-row"
              onClick={() => {
                if (e.change !== 'removed') select([e.elementKey], 'changes', { fit: true });
                else {
                  select([], 'changes');
                  viewer()?.fitGhost(e.elementKey);
                }
                setOpen(open === e.elementKey ? null : e.elementKey);
              }}
            >
              <span className={`change-kind ${e.change}`}>{e.change}</span>
              <span className="change-name">{e.name ?? e.globalId}</span>
              <span className="muted">{e.ifcClass.replace(/^Ifc/, '')}</span>
            </button>
            {e.change === 'modified' && <div className="change-fields muted">{e.fields.join(', ')}</div>}
            {open === e.elementKey && (
              <ChangeDetail
                entry={e}
                baseVersionId={changeset.baseVersionId}
                versionId={changeset.versionId}
              />
            )}
          </li>
        ))}
      </ul>
      <footer className="changes-footer">
        <button className="button" disabled={busy} onClick={() => void discard()}>
          Discard draft
        </button>
        <button
          className="button primary"
          disabled={busy}
          onClick={() => void commit()}
          data-testid="commit-draft"
        >
          Commit as version
        </button>
      </footer>
    </div>
  );
}

function ChangeDetail({
  entry,
  baseVersionId,
  versionId,
}: {
  entry: Entry;
  baseVersionId: number | null;
  versionId: number;
}) {
  const api = useApi();
  const { view } = useWorkspace();
  const [before, setBefore] = useState<ElementDetail | null>(null);
  const [after, setAfter] = useState<ElementDetail | null>(null);
  useEffect(() => {
    if (!view) return;
    let live = true;
    const element = { elementKey: entry.elementKey };
    if (entry.change !== 'added' && baseVersionId !== null) {
      void api
        .call('twins.element', { twinId: view.twinId, versionId: baseVersionId, element })
        .then((r) => live && r.ok && setBefore(r.value));
    }
    if (entry.change !== 'removed') {
      void api
        .call('twins.element', { twinId: view.twinId, versionId, element })
        .then((r) => live && r.ok && setAfter(r.value));
    }
    return () => {
      live = false;
    };
  }, [api, view, entry, baseVersionId, versionId]);

  if (entry.change !== 'modified') {
    return (
      <div className="change-detail muted">
        {entry.change === 'added'
          ? 'New in this iteration.'
          : 'Not in this iteration any more (it stays in the base version).'}{' '}
        GlobalId {entry.globalId}
      </div>
    );
  }
  const paths = entry.details.length ? entry.details : entry.fields;
  return (
    <table className="change-detail diff-table" data-testid="change-diff">
      <tbody>
        {paths.map((path) => (
          <tr key={path}>
            <th title={path}>{path.replace(/^propertySets\./, '')}</th>
            <td className="old">
              {before ? describeValue(path, valueAtPath(before, path, after ?? undefined)) : '…'}
            </td>
            <td className="arrow">→</td>
            <td className="new">
              {after ? describeValue(path, valueAtPath(after, path, before ?? undefined)) : '…'}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
