// The work-order board: columns open / accepted / overdue / done, each card with its element (click
// to select it in 3D), the reading that opened it, the provider and what is left of its bond, the
// SLA countdowns ticking at the chain's time, escalations, and the actions the identity may take
// (accept, complete with a report — offline too, pending until the chain confirms —, enforce a
// passed deadline, cancel). Main re-checks every action.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useApi, useEvent, useQuery } from '../../api-context';
import { useWorkspace } from '../../workspace';
import {
  boardColumn,
  type BoardColumn,
  type ClockSource,
  type MaintenanceOverview,
  type WorkOrder,
} from '../../../../shared/api/maintenance';
import { formatAmount, formatChainDate, formatCountdown, useChainNow } from './format';
import { CancelDialog, CompleteDialog, OpenOrderDialog } from './WorkOrderDialogs';
import { isModalOpen } from '../modal-keys';

const COLUMNS: { id: BoardColumn; title: string; empty: string }[] = [
  { id: 'overdue', title: 'Overdue', empty: 'Nothing overdue.' },
  { id: 'open', title: 'Open', empty: 'No open work orders.' },
  { id: 'accepted', title: 'Accepted', empty: 'Nothing accepted and in progress.' },
  { id: 'done', title: 'Done', empty: 'Nothing completed yet.' },
];

export function clockSourceOf(order: WorkOrder): ClockSource {
  const response = order.clocks.find((c) => c.breach === 'response');
  const resolution = order.clocks.find((c) => c.breach === 'resolution');
  return {
    status: order.status,
    respondBy: response?.deadline ?? null,
    resolveBy: resolution?.deadline ?? null,
    acceptedLate: order.acceptedLate,
    responseEnforced: response?.enforced ?? false,
    resolutionEnforced: resolution?.enforced ?? false,
  };
}

export function WorkOrderBoard({
  overview,
  expanded,
  onToggleExpanded,
}: {
  overview: MaintenanceOverview;
  expanded: boolean;
  onToggleExpanded: () => void;
}) {
  const api = useApi();
  const { selection, toast } = useWorkspace();
  const twinId = overview.twinId;
  const [orders, setOrders] = useState<WorkOrder[] | null>(null);
  const [clock, setClock] = useState<{ chainTime: number | null; readAt: number }>({
    chainTime: overview.chainTime,
    readAt: Date.now(),
  });
  const [error, setError] = useState<string | null>(null);
  const [completing, setCompleting] = useState<WorkOrder | null>(null);
  const [opening, setOpening] = useState(false);
  const [cancelling, setCancelling] = useState<WorkOrder | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [onlyElement, setOnlyElement] = useState(false);
  const [tick, setTick] = useState(0);
  const now = useChainNow(clock.chainTime, clock.readAt);
  const chain = useQuery('chain.status', {}, 'chain.statusChanged');
  const online = chain.state !== 'ready' || chain.value.state === 'ready';

  const load = useCallback(() => setTick((n) => n + 1), []);
  useEvent('maintenance.changed', (e) => (e.twinId === null || e.twinId === twinId) && load());
  useEvent('sync.permissionsChanged', (e) => e.twinId === twinId && load());
  useEvent('vault.changed', load);
  useEffect(() => {
    let live = true;
    void api.call('maintenance.workOrders', { twinId }).then((r) => {
      if (!live) return;
      if (r.ok) {
        setOrders(r.value.orders);
        setClock({ chainTime: r.value.chainTime, readAt: Date.now() });
        setError(null);
      } else setError(r.error.message);
    });
    return () => {
      live = false;
    };
  }, [api, twinId, tick]);

  const selected = selection.length === 1 ? selection[0]! : null;
  // N opens a work order on the selected element (when the identity may), unless typing somewhere.
  const mayOpen = overview.may.openOrders && selected !== null;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (e.key !== 'n' || e.ctrlKey || e.metaKey || e.altKey || !mayOpen || isModalOpen()) return;
      if (target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)))
        return;
      e.preventDefault();
      setOpening(true);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [mayOpen]);
  const shown = useMemo(
    () => (orders ?? []).filter((o) => !onlyElement || !selected || o.elementKey === selected),
    [orders, onlyElement, selected],
  );
  const byColumn = useMemo(() => {
    const map = new Map<BoardColumn, WorkOrder[]>(COLUMNS.map((c) => [c.id, []]));
    for (const order of shown) map.get(boardColumn(clockSourceOf(order), now))!.push(order);
    return map;
  }, [shown, now]);

  const act = async (
    key: string,
    run: () => Promise<{ ok: boolean; error?: { message: string } }>,
    done: string,
  ) => {
    setBusy(key);
    try {
      const r = await run();
      if (r.ok) toast('ok', done);
      else toast('error', r.error?.message ?? 'It failed.');
    } finally {
      setBusy(null);
      load();
    }
  };

  const advance = (seconds: number, label: string) =>
    act(
      `clock:${seconds}`,
      () => api.call('maintenance.advanceSandboxClock', { seconds }),
      `Sandbox clock moved forward ${label}.`,
    );

  if (error) return <div className="empty-state error">Could not read the work orders: {error}</div>;
  if (!orders) return <div className="empty-state">Loading work orders…</div>;
  return (
    <div className={expanded ? 'wo-board expanded' : 'wo-board'} data-testid="work-order-board">
      <div className="wo-toolbar">
        <button
          className="button small primary"
          disabled={!overview.may.openOrders || !selected || !online}
          title={
            !overview.may.openOrders
              ? 'Opening work orders needs the ADMIN or MAINTAINER role on this twin'
              : !selected
                ? 'Select one element (in 3D or the tree) to open a work order on it'
                : 'Open a work order on the selected element (N)'
          }
          onClick={() => setOpening(true)}
          data-testid="open-work-order"
        >
          New work order…
        </button>
        <label className="wo-filter small" title="Show only the selected element's work orders">
          <input
            type="checkbox"
            checked={onlyElement}
            disabled={!selected}
            onChange={(e) => setOnlyElement(e.target.checked)}
          />{' '}
          Selected element only
        </label>
        <span className="spacer" />
        {overview.sandbox && (
          <span
            className="wo-clock"
            title="Sandbox only: move the chain's clock forward to see SLA deadlines pass"
          >
            <span className="muted small">Sandbox clock</span>
            <button
              className="button small"
              disabled={busy !== null || !online}
              onClick={() => void advance(3600, 'one hour')}
            >
              +1 h
            </button>
            <button
              className="button small"
              disabled={busy !== null || !online}
              onClick={() => void advance(86400, 'one day')}
              data-testid="advance-clock-day"
            >
              +1 d
            </button>
          </span>
        )}
        <button
          className="button small"
          onClick={onToggleExpanded}
          title={expanded ? 'Back to the side panel (Esc)' : 'Show the board across the window'}
          data-testid="board-expand"
        >
          {expanded ? 'Close board' : 'Expand'}
        </button>
      </div>
      {!online && (
        <p className="maint-banner small" data-testid="board-offline">
          The chain is offline: accepting, enforcing and cancelling wait for it; a crew can still complete
          work orders (signed now, sent when the chain is back).
        </p>
      )}
      <div className="wo-chain-time muted small">
        Chain time {formatChainDate(now)}
        {overview.terms && (
          <>
            {' '}
            · SLA: respond {formatDurationShort(overview.terms.responseSeconds)}, resolve{' '}
            {formatDurationShort(overview.terms.resolutionSeconds)},{' '}
            {formatAmount(overview.terms.penalty, overview.terms.asset.decimals, overview.terms.asset.symbol)}{' '}
            per breach
          </>
        )}
      </div>
      {orders.length === 0 ? (
        <div className="empty-state">
          <p className="empty-title">No work orders yet</p>
          <p>
            A sensor reading that breaches a rule opens one by itself; admins and maintainers can also open
            one on a selected element.
          </p>
        </div>
      ) : (
        <div className="wo-columns">
          {COLUMNS.map((column) => {
            const list = byColumn.get(column.id)!;
            return (
              <section
                key={column.id}
                className={`wo-column ${column.id}`}
                aria-label={`${column.title} work orders`}
                data-testid={`board-column-${column.id}`}
              >
                <h3>
                  {column.title} <span className="tab-count">{list.length}</span>
                </h3>
                {list.length === 0 ? (
                  <p className="muted small wo-empty">{column.empty}</p>
                ) : (
                  list.map((order) => (
                    <WorkOrderCard
                      key={order.orderId}
                      order={order}
                      now={now}
                      column={column.id}
                      busy={busy}
                      online={online}
                      onAccept={() =>
                        void act(
                          `accept:${order.orderId}`,
                          () => api.call('maintenance.acceptWorkOrder', { twinId, orderId: order.orderId }),
                          `WO-${order.number} accepted.`,
                        )
                      }
                      onComplete={() => setCompleting(order)}
                      onEnforce={(breach) =>
                        void act(
                          `enforce:${order.orderId}:${breach}`,
                          () => api.call('maintenance.enforce', { twinId, orderId: order.orderId, breach }),
                          `The ${breach} breach of WO-${order.number} was enforced: the penalty moved and the breach was escalated.`,
                        )
                      }
                      onCancel={() => setCancelling(order)}
                      onRetry={(intentId) =>
                        void act(
                          `retry:${intentId}`,
                          () => api.call('maintenance.retryCompletion', { intentId }),
                          'The completion was signed again and queued.',
                        )
                      }
                      onDiscard={(intentId) =>
                        void act(
                          `discard:${intentId}`,
                          () => api.call('maintenance.discardCompletion', { intentId }),
                          'The refused completion was discarded.',
                        )
                      }
                    />
                  ))
                )}
              </section>
            );
          })}
        </div>
      )}
      {completing && (
        <CompleteDialog
          order={completing}
          onClose={() => setCompleting(null)}
          onDone={() => {
            setCompleting(null);
            load();
          }}
        />
      )}
      {cancelling && (
        <CancelDialog
          order={cancelling}
          onClose={() => setCancelling(null)}
          onDone={() => {
            setCancelling(null);
            load();
          }}
        />
      )}
      {opening && selected && (
        <OpenOrderDialog
          twinId={twinId}
          elementKey={selected}
          onClose={() => setOpening(false)}
          onDone={() => {
            setOpening(false);
            load();
          }}
        />
      )}
    </div>
  );
}

const formatDurationShort = (s: number) =>
  s % 86400 === 0 ? `${s / 86400} d` : s % 3600 === 0 ? `${s / 3600} h` : `${Math.round(s / 60)} min`;

function WorkOrderCard({
  order,
  now,
  column,
  busy,
  online,
  onAccept,
  onComplete,
  onEnforce,
  onCancel,
  onRetry,
  onDiscard,
}: {
  order: WorkOrder;
  now: number;
  column: BoardColumn;
  busy: string | null;
  /** The chain answers: transactions can be sent (a completion is signed offline too). */
  online: boolean;
  onAccept: () => void;
  onComplete: () => void;
  onEnforce: (breach: 'response' | 'resolution') => void;
  onCancel: () => void;
  onRetry: (intentId: number) => void;
  onDiscard: (intentId: number) => void;
}) {
  const { select } = useWorkspace();
  const open = order.status !== 'completed' && order.status !== 'cancelled';
  const asset = order.asset ?? { symbol: 'ETH', decimals: 18 };
  const pending = order.pendingCompletion;
  return (
    <article
      className={`wo-card ${column}`}
      data-testid="work-order-card"
      data-order-id={order.orderId}
      data-column={column}
      data-status={order.status}
    >
      <header>
        <strong>WO-{order.number}</strong>
        <span className="wo-kind">{order.kind || (order.action === 'parts' ? 'parts' : 'work')}</span>
        <span className={`chip wo-status ${order.status}`}>{order.status}</span>
      </header>
      <button
        className="link wo-element"
        onClick={() => select([order.elementKey], 'search', { fit: true })}
        title="Select this element in the 3D view"
      >
        {order.elementName ?? order.globalId ?? `${order.elementKey.slice(0, 10)}…`}
        {order.ifcClass && <span className="muted"> · {order.ifcClass}</span>}
      </button>
      {order.trigger ? (
        <div className="wo-trigger small" data-testid="wo-trigger">
          {order.trigger.metric} <strong>{order.trigger.value}</strong> {order.trigger.comparator}{' '}
          {order.trigger.threshold} <span className="muted">(sensor rule)</span>
        </div>
      ) : (
        <div className="muted small">
          Opened by {order.openedByLabel ?? order.openedBy.slice(0, 10)} on {formatChainDate(order.openedAt)}
        </div>
      )}
      {order.provider ? (
        <div className="wo-provider small">
          <span className="muted">Provider</span> {order.providerLabel ?? order.provider.slice(0, 10)} ·{' '}
          <span className="muted">bond left</span>{' '}
          <span data-testid="provider-bond">
            {formatAmount(order.providerBond, asset.decimals, asset.symbol)}
          </span>
        </div>
      ) : (
        open && <div className="muted small">Not assigned: no bonded provider under the SLA terms yet.</div>
      )}
      {order.clocks.length > 0 && (
        <ul className="wo-clocks">
          {order.clocks.map((c) => {
            const remaining = c.deadline - now;
            const due = open && !c.met && !c.enforced && remaining < 0;
            const stateClass = c.enforced
              ? 'enforced'
              : c.met
                ? 'met'
                : due
                  ? 'due'
                  : remaining < 3600
                    ? 'soon'
                    : '';
            const relevant = open || c.enforced;
            if (!relevant && !c.met) return null;
            return (
              <li key={c.breach} className={`wo-clock-row ${stateClass}`} data-testid={`clock-${c.breach}`}>
                <span className="wo-clock-name">{c.breach === 'response' ? 'Respond' : 'Resolve'}</span>
                <span className="wo-clock-value" title={`Deadline ${formatChainDate(c.deadline)}`}>
                  {c.enforced
                    ? `breached · ${formatAmount(c.penaltyPaid, asset.decimals, asset.symbol)} penalty paid`
                    : c.met
                      ? 'met'
                      : !open
                        ? ''
                        : order.status === 'accepted' && c.breach === 'response'
                          ? 'accepted'
                          : formatCountdown(remaining)}
                </span>
                {c.enforced && c.escalatedTo && (
                  <span className="wo-escalation small" data-testid="escalation">
                    escalated to {c.escalatedToLabel ?? c.escalatedTo.slice(0, 10)}
                  </span>
                )}
                {open &&
                  !c.enforced &&
                  (c.enforceable || (due && !(order.status === 'accepted' && c.breach === 'response'))) && (
                    <button
                      className="button small danger"
                      disabled={busy !== null || !online}
                      onClick={() => onEnforce(c.breach)}
                      data-testid={`enforce-${c.breach}`}
                      title={`Penalise the passed ${c.breach} deadline: up to ${formatAmount(order.penalty, asset.decimals, asset.symbol)} moves from the provider's bond to the owner, and the breach is escalated`}
                    >
                      Enforce
                    </button>
                  )}
              </li>
            );
          })}
        </ul>
      )}
      {pending && pending.status !== 'confirmed' && (
        <div className={`wo-pending ${pending.status}`} data-testid="pending-completion">
          {pending.status === 'failed' ? (
            <>
              <strong>Completion refused:</strong> {pending.reason ?? 'the chain said no'}
              <div className="wo-actions">
                <button
                  className="button small"
                  disabled={busy !== null}
                  onClick={() => onRetry(pending.intentId)}
                >
                  Sign again
                </button>
                <button
                  className="button small"
                  disabled={busy !== null}
                  onClick={() => onDiscard(pending.intentId)}
                >
                  Discard
                </button>
              </div>
            </>
          ) : (
            <>
              <span className="chip queued">pending</span> Completed by{' '}
              {pending.signerLabel ?? pending.signer.slice(0, 10)}: waiting for the chain
              {pending.reason ? ` (${pending.reason})` : ''}.
            </>
          )}
        </div>
      )}
      {order.status === 'completed' && (
        <div className="muted small">
          Completed by {order.closedByLabel ?? order.closedBy?.slice(0, 10)}
          {order.closedAt ? ` on ${formatChainDate(order.closedAt)}` : ''}
          {order.reportHash && (
            <span title={order.reportUri ?? ''}> · report {order.reportHash.slice(0, 10)}…</span>
          )}
        </div>
      )}
      {order.status === 'cancelled' && (
        <div className="muted small">Cancelled{order.cancelReason ? `: ${order.cancelReason}` : ''}</div>
      )}
      {open && (order.may.accept || order.may.complete || order.may.cancel) && (
        <div className="wo-actions">
          {order.may.accept && (
            <button
              className="button small primary"
              disabled={busy !== null || !online}
              onClick={onAccept}
              data-testid="accept-work-order"
            >
              Accept
            </button>
          )}
          {order.may.complete && (
            <button
              className="button small primary"
              disabled={busy !== null}
              onClick={onComplete}
              data-testid="complete-work-order"
            >
              Complete…
            </button>
          )}
          {order.may.cancel && (
            <button className="button small" disabled={busy !== null || !online} onClick={onCancel}>
              Cancel…
            </button>
          )}
        </div>
      )}
    </article>
  );
}
