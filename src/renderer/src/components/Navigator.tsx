// Navigation: a search box (name, class, property value) and the spatial tree (model, project,
// site, building, storey, space, element), both following the 3D selection and driving it.
// The tree renders only the rows in view, so a storey with thousands of elements stays quick.
import { useEffect, useMemo, useRef, useState } from 'react';
import { useApi } from '../api-context';
import { useWorkspace } from '../workspace';
import { Icon } from './icons';
import { classColourCss } from '../viewer/palette';
import type { ElementSummary, SpatialNode, SpatialTree } from '../../../shared/api/twins';

const ROW_PX = 24;

interface Row {
  key: string;
  depth: number;
  label: string;
  ifcClass: string;
  hasChildren: boolean;
  expanded: boolean;
  node: SpatialNode | null;
  childCount: number;
}

interface TreeIndex {
  parent: Map<string, string>;
  node: Map<string, SpatialNode>;
  storeyName: Map<string, string>;
}

export function indexTree(tree: SpatialTree | null): TreeIndex {
  const parent = new Map<string, string>();
  const node = new Map<string, SpatialNode>();
  const storeyName = new Map<string, string>();
  const walk = (n: SpatialNode, parentKey: string) => {
    parent.set(n.elementKey, parentKey);
    node.set(n.elementKey, n);
    if (n.ifcClass === 'IfcBuildingStorey') storeyName.set(n.globalId, n.name ?? n.globalId);
    n.children.forEach((c) => walk(c, n.elementKey));
  };
  tree?.models.forEach((m) => m.roots.forEach((r) => walk(r, `model:${m.modelId}`)));
  return { parent, node, storeyName };
}

/** Keys of a node and everything under it (what the 3D view highlights for a storey). */
export function subtreeKeys(node: SpatialNode): string[] {
  const out: string[] = [];
  const walk = (n: SpatialNode) => {
    out.push(n.elementKey);
    n.children.forEach(walk);
  };
  walk(node);
  return out;
}

function initialExpansion(tree: SpatialTree): Set<string> {
  const open = new Set<string>();
  const walk = (n: SpatialNode) => {
    if (['IfcProject', 'IfcSite', 'IfcBuilding'].includes(n.ifcClass)) {
      open.add(n.elementKey);
      n.children.forEach(walk);
    }
  };
  tree.models.forEach((m) => {
    open.add(`model:${m.modelId}`);
    m.roots.forEach(walk);
  });
  return open;
}

function flatten(tree: SpatialTree, expanded: Set<string>): Row[] {
  const rows: Row[] = [];
  const walk = (n: SpatialNode, depth: number) => {
    const isOpen = expanded.has(n.elementKey);
    rows.push({
      key: n.elementKey,
      depth,
      label: n.name ?? n.ifcClass.replace(/^Ifc/, ''),
      ifcClass: n.ifcClass,
      hasChildren: n.children.length > 0,
      expanded: isOpen,
      node: n,
      childCount: n.children.length,
    });
    if (isOpen) n.children.forEach((c) => walk(c, depth + 1));
  };
  for (const m of tree.models) {
    const key = `model:${m.modelId}`;
    const isOpen = expanded.has(key);
    rows.push({
      key,
      depth: 0,
      label: m.name,
      ifcClass: m.discipline,
      hasChildren: m.roots.length > 0,
      expanded: isOpen,
      node: null,
      childCount: m.roots.length,
    });
    if (isOpen) m.roots.forEach((r) => walk(r, 1));
  }
  return rows;
}

export function Navigator() {
  const { view, tree, treeError, retryTree } = useWorkspace();
  const [query, setQuery] = useState('');
  if (!view) return null;
  return (
    <section className="navigator" aria-label="Model navigator">
      <div className="search-box">
        <Icon name="search" size={14} />
        <input
          type="search"
          placeholder="Search name, class, GlobalId, Pset value…"
          aria-label="Search elements"
          data-testid="search-input"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => e.key === 'Escape' && setQuery('')}
        />
      </div>
      {query.trim() ? (
        <SearchResults query={query.trim()} />
      ) : tree ? (
        <TreeView tree={tree} />
      ) : treeError ? (
        <div className="empty-state error" role="alert" data-testid="tree-error">
          <p>Could not read the spatial tree: {treeError}</p>
          <button className="button" onClick={retryTree}>
            Try again
          </button>
        </div>
      ) : (
        <p className="empty-state">Loading the spatial tree…</p>
      )}
    </section>
  );
}

/** `class:IfcDoor`, `FireRating=EI 60` (a property, optionally with its value), the rest as words. */
export function parseSearch(query: string): {
  text?: string;
  ifcClass?: string;
  property?: { name: string; value?: string };
} {
  const out: { text?: string; ifcClass?: string; property?: { name: string; value?: string } } = {};
  let rest = query;
  const cls = /(?:^|\s)class:(\S+)/i.exec(rest);
  if (cls?.[1]) {
    out.ifcClass = cls[1].toLowerCase().startsWith('ifc') ? cls[1] : `Ifc${cls[1]}`;
    rest = rest.replace(cls[0], ' ');
  }
  const prop = /(?:^|\s)([^\s=]+)=(.*)$/.exec(rest);
  if (prop?.[1]) {
    out.property = prop[2]?.trim() ? { name: prop[1], value: prop[2].trim() } : { name: prop[1] };
    rest = rest.replace(prop[0], ' ');
  }
  if (rest.trim()) out.text = rest.trim();
  return out;
}

function SearchResults({ query }: { query: string }) {
  const api = useApi();
  const { view, selection, select, tree } = useWorkspace();
  // The answer (or the failure) to the search `for`: twin, version and query; one for another
  // search is not shown as this one's (the twin switched, the query changed meanwhile).
  const [answer, setAnswer] = useState<
    | { for: string; result: { total: number; elements: ElementSummary[] } }
    | { for: string; error: string }
    | null
  >(null);
  const storeys = useMemo(() => indexTree(tree).storeyName, [tree]);
  const searchFor = `${view?.twinId}/${view?.versionId}/${query}`;
  useEffect(() => {
    if (!view) return;
    let live = true;
    const timer = setTimeout(() => {
      void api
        .call('twins.search', {
          twinId: view.twinId,
          ...(view.versionId !== undefined ? { versionId: view.versionId } : {}),
          ...parseSearch(query),
          limit: 200,
        })
        .then((r) => {
          if (!live) return;
          setAnswer(r.ok ? { for: searchFor, result: r.value } : { for: searchFor, error: r.error.message });
        });
    }, 200);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, view, query, searchFor]);
  if (!answer || answer.for !== searchFor) return <p className="empty-state">Searching…</p>;
  if ('error' in answer) return <p className="empty-state error">{answer.error}</p>;
  const { result } = answer;
  if (result.total === 0)
    return (
      <p className="empty-state" data-testid="search-empty">
        Nothing matches “{query}”. Try a class (class:IfcDoor) or a property (FireRating=EI 60).
      </p>
    );
  return (
    <div className="search-results" data-testid="search-results">
      <p className="result-count muted">
        {result.total > result.elements.length
          ? `${result.elements.length} of ${result.total} matches`
          : `${result.total} match${result.total === 1 ? '' : 'es'}`}
      </p>
      <ul role="listbox" aria-label="Search results">
        {result.elements.map((e) => (
          <li
            key={e.elementKey}
            role="option"
            aria-selected={selection.includes(e.elementKey)}
            className={selection.includes(e.elementKey) ? 'result selected' : 'result'}
            onClick={() => select([e.elementKey], 'search', { fit: true })}
            data-global-id={e.globalId}
          >
            <i className="swatch" style={{ background: classColourCss(e.ifcClass) }} />
            <span className="result-name">{e.name ?? e.globalId}</span>
            <span className="muted result-class">
              {e.ifcClass.replace(/^Ifc/, '')}
              {e.storey && storeys.get(e.storey) ? ` · ${storeys.get(e.storey)}` : ''}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function TreeView({ tree }: { tree: SpatialTree }) {
  const { selection, selectionOrigin, select, viewer, hovered } = useWorkspace();
  const index = useMemo(() => indexTree(tree), [tree]);
  const [expanded, setExpanded] = useState(() => initialExpansion(tree));
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(400);
  const scroller = useRef<HTMLDivElement>(null);

  useEffect(() => setExpanded(initialExpansion(tree)), [tree]);

  // Follow a selection made elsewhere: open its ancestors.
  useEffect(() => {
    if (selectionOrigin === 'tree' || selection.length === 0) return;
    setExpanded((current) => {
      const next = new Set(current);
      for (const key of selection) {
        let parent = index.parent.get(key);
        while (parent) {
          next.add(parent);
          parent = index.parent.get(parent);
        }
      }
      return next;
    });
  }, [selection, selectionOrigin, index]);

  const rows = useMemo(() => flatten(tree, expanded), [tree, expanded]);

  // ...and scroll it into view.
  useEffect(() => {
    if (selectionOrigin === 'tree' || selection.length === 0) return;
    const at = rows.findIndex((r) => r.key === selection[0]);
    const el = scroller.current;
    if (at < 0 || !el) return;
    const top = at * ROW_PX;
    if (top < el.scrollTop || top > el.scrollTop + el.clientHeight - ROW_PX) {
      el.scrollTop = Math.max(0, top - el.clientHeight / 2);
    }
  }, [rows, selection, selectionOrigin]);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const toggle = (key: string) =>
    setExpanded((current) => {
      const next = new Set(current);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });

  const choose = (row: Row, fit: boolean) => {
    if (!row.node) return;
    const highlight = row.node.isSpatial ? subtreeKeys(row.node) : [row.key];
    select([row.key], 'tree', { fit, highlight });
  };

  const first = Math.max(0, Math.floor(scrollTop / ROW_PX) - 10);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW_PX) + 10);
  const selected = new Set(selection);
  return (
    <div
      className="tree"
      role="tree"
      aria-label="Spatial tree"
      data-testid="spatial-tree"
      ref={scroller}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
    >
      <div style={{ height: rows.length * ROW_PX, position: 'relative' }}>
        {rows.slice(first, last).map((row, i) => (
          <div
            key={row.key}
            role="treeitem"
            aria-level={row.depth + 1}
            aria-expanded={row.hasChildren ? row.expanded : undefined}
            aria-selected={selected.has(row.key)}
            className={`tree-row${selected.has(row.key) ? ' selected' : ''}${hovered === row.key ? ' hovered' : ''}${row.node ? '' : ' model-row'}`}
            style={{ top: (first + i) * ROW_PX, paddingLeft: 6 + row.depth * 14 }}
            data-key={row.key}
            onClick={() => choose(row, false)}
            onDoubleClick={() => (row.hasChildren && !row.node ? toggle(row.key) : choose(row, true))}
            title={row.node ? `${row.ifcClass} · ${row.node.globalId}` : row.label}
          >
            <button
              className={`twisty${row.expanded ? ' open' : ''}`}
              style={{ visibility: row.hasChildren ? 'visible' : 'hidden' }}
              aria-label={row.expanded ? 'Collapse' : 'Expand'}
              tabIndex={-1}
              onClick={(e) => {
                e.stopPropagation();
                toggle(row.key);
              }}
            >
              <Icon name="chevron" size={12} />
            </button>
            {row.node ? (
              <i
                className="swatch"
                style={{ background: row.node.isSpatial ? 'transparent' : classColourCss(row.ifcClass) }}
              />
            ) : (
              <span className="discipline">{row.ifcClass}</span>
            )}
            <span className="tree-label">{row.label}</span>
            {row.node && row.node.name && (
              <span className="tree-class muted">{row.ifcClass.replace(/^Ifc/, '')}</span>
            )}
            {row.hasChildren && !row.expanded && <span className="tree-count muted">{row.childCount}</span>}
            {row.node && !row.node.isSpatial && !row.node.hasGeometry && (
              <span className="tree-class muted" title="No geometry">
                ∅
              </span>
            )}
          </div>
        ))}
      </div>
      {viewer() === null && null}
    </div>
  );
}
