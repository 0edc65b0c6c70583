// The maintenance capability's entries on the workspace's timeline: work orders (opened with the
// reading that breached, assigned, accepted, completed — pending while a crew's signed completion
// waits for the chain —, cancelled), sensor alerts (breaches that only alert, or that found an order
// already open), and SLA events (breaches penalised and escalated, terms set, bonds posted or
// withdrawn).
import { getAddress, ZeroAddress } from 'ethers';
import type { TimelineEntry } from '../../shared/api/timeline';
import type { ChainIndex } from '../store/chain-index';
import type { MaintenanceIndex } from '../store/maintenance-index';
import { TRIGGER_OUTCOME } from '../store/maintenance-index';
import type { TwinStore } from '../store/twin-store';
import type { TimelineContext, TimelineProvider } from '../timeline/timeline-service';
import { formatChainDate } from '../sync/permissions';
import {
  ACTION_WORDS,
  BREACHES,
  COMPARATORS,
  formatAmount,
  formatDuration,
  orderNumber,
  RULE_ACTIONS,
  textOf,
  unitValue,
} from './contract';

const address = (a: string | null | undefined): string | null =>
  a && a.toLowerCase() !== ZeroAddress.toLowerCase() ? getAddress(a) : null;

export function maintenanceTimelineProvider(options: {
  chainIndex: ChainIndex;
  index: () => MaintenanceIndex | null;
  store: TwinStore;
}): TimelineProvider {
  return {
    name: 'maintenance',
    kinds: ['workOrder', 'sensorAlert', 'sla'],
    async entries(context: TimelineContext): Promise<TimelineEntry[]> {
      const index = options.index();
      const chainTwinId = context.chainTwinId;
      if (!index || chainTwinId === null) return [];
      const wants = new Set(context.kinds);
      const names = new Map<string, { globalId: string | null; name: string | null }>();
      const element = (key: string) => {
        let info = names.get(key);
        if (!info) {
          try {
            const e = options.store.getElement(context.storeTwinId, undefined, key);
            info = { globalId: e.globalId, name: e.name };
          } catch {
            info = { globalId: null, name: null };
          }
          names.set(key, info);
        }
        return info;
      };
      const onElement = (key: string) => {
        const e = element(key);
        return e.name ?? e.globalId ?? `${key.slice(0, 10)}…`;
      };
      const rules = new Map(index.rules(chainTwinId, { includeRemoved: true }).map((r) => [r.ruleId, r]));
      const draft: (Omit<TimelineEntry, 'at'> & { at: number | null })[] = [];
      const entry = (
        e: Partial<Omit<TimelineEntry, 'at'>> &
          Pick<TimelineEntry, 'id' | 'kind' | 'title'> & { at?: number | null },
      ) => {
        const elementKey = e.elementKey ?? null;
        draft.push({
          status: 'confirmed',
          at: null,
          actor: null,
          actorLabel: context.labelOf(e.actor ?? null),
          detail: '',
          globalId: elementKey ? element(elementKey).globalId : null,
          txHash: null,
          blockNumber: null,
          outboxItemId: null,
          facts: [],
          ...e,
          elementKey,
        });
      };

      if (wants.has('workOrder')) {
        for (const o of index.workOrders(chainTwinId)) {
          const n = orderNumber(o.orderId);
          const kind = textOf(o.kind);
          const rule = o.ruleId ? rules.get(o.ruleId) : undefined;
          const trigger =
            rule && o.triggerValue !== null
              ? `${textOf(rule.metric)} ${unitValue(o.triggerValue)} ${rule.kind === 1 ? '≥' : (COMPARATORS[rule.comparator] ?? '>')} ${unitValue(rule.threshold)} (rule ${orderNumber(rule.ruleId)})`
              : null;
          entry({
            id: `wo:${o.orderId}:opened`,
            kind: 'workOrder',
            at: o.openedAt,
            actor: getAddress(o.openedBy),
            title: `Work order WO-${n} opened: ${kind}${o.action === 1 ? ' (parts request)' : ''}`,
            detail: trigger
              ? `A sensor reading breached a rule on ${onElement(o.elementKey)}: ${trigger}.`
              : `Opened by hand on ${onElement(o.elementKey)}.`,
            elementKey: o.elementKey,
            txHash: o.openedTx,
            blockNumber: o.openedBlock,
            facts: [
              ['Work order', `WO-${n}`],
              ['Origin', o.ruleId ? 'sensor rule' : 'by hand'],
              ...(o.provider
                ? ([
                    ['Provider', context.labelOf(o.provider) ?? getAddress(o.provider)],
                    ['Respond by', formatChainDate(o.respondBy ?? 0)],
                    ['Resolve by', formatChainDate(o.resolveBy ?? 0)],
                  ] as [string, string][])
                : []),
            ],
          });
          if (o.acceptedBlock !== null) {
            entry({
              id: `wo:${o.orderId}:accepted`,
              kind: 'workOrder',
              actor: address(o.provider),
              title: `Work order WO-${n} accepted${o.acceptedLate ? ' late' : ''}`,
              detail: o.acceptedLate
                ? 'Accepted after the response deadline: the response breach is due.'
                : '',
              elementKey: o.elementKey,
              blockNumber: o.acceptedBlock,
            });
          }
          if (o.status === 'completed') {
            entry({
              id: `wo:${o.orderId}:completed`,
              kind: 'workOrder',
              at: o.closedAt,
              actor: address(o.closedBy),
              title: `Work order WO-${n} completed`,
              detail: o.reportUri ? `Report ${o.reportUri}` : '',
              elementKey: o.elementKey,
              txHash: o.closedTx,
              blockNumber: o.closedBlock,
              facts: o.reportHash ? [['Report hash', o.reportHash]] : [],
            });
          } else if (o.status === 'cancelled') {
            entry({
              id: `wo:${o.orderId}:cancelled`,
              kind: 'workOrder',
              actor: address(o.closedBy),
              title: `Work order WO-${n} cancelled`,
              detail: o.cancelReason ? textOf(o.cancelReason) : '',
              elementKey: o.elementKey,
              txHash: o.closedTx,
              blockNumber: o.closedBlock,
            });
          }
        }
        // Completions a crew signed that the chain has not confirmed yet.
        for (const intent of index.intents({
          storeTwinId: context.storeTwinId,
          statuses: ['queued', 'sent', 'failed'],
        })) {
          const order = index.workOrder(intent.orderId);
          entry({
            id: `wo:${intent.orderId}:completion:${intent.id}`,
            kind: 'workOrder',
            status: intent.status === 'failed' ? 'failed' : 'pending',
            at: Math.floor(intent.createdAt / 1000),
            actor: getAddress(intent.signer),
            title: `Work order WO-${orderNumber(intent.orderId)} completed (${intent.status === 'failed' ? 'refused' : 'waiting for the chain'})`,
            detail:
              intent.status === 'failed'
                ? `${intent.reason ?? 'The chain refused it.'} ${intent.details.notes}`
                : intent.details.notes,
            elementKey: order?.elementKey ?? null,
            txHash: intent.txHash,
          });
        }
      }

      if (wants.has('sensorAlert')) {
        for (const alert of index.alerts(chainTwinId)) {
          if (alert.outcome === TRIGGER_OUTCOME.OrderOpened) continue; // the work order's entry says it
          const rule = rules.get(alert.ruleId);
          const metric = rule ? textOf(rule.metric) : 'value';
          const comparator = rule ? (rule.kind === 1 ? '≥' : (COMPARATORS[rule.comparator] ?? '>')) : '>';
          entry({
            id: `alert:${alert.blockNumber}:${alert.logIndex}`,
            kind: 'sensorAlert',
            title:
              alert.outcome === TRIGGER_OUTCOME.Alert
                ? `Sensor alert: ${metric} ${unitValue(alert.value)}`
                : `Sensor breach again while WO-${orderNumber(alert.orderId ?? '0')} is open`,
            detail: rule
              ? `${metric} ${unitValue(alert.value)} ${comparator} ${unitValue(rule.threshold)} on ${onElement(alert.elementKey)} (rule ${orderNumber(rule.ruleId)}, ${ACTION_WORDS[RULE_ACTIONS[rule.action] ?? 'alert']}).`
              : '',
            elementKey: alert.elementKey,
            txHash: alert.txHash,
            blockNumber: alert.blockNumber,
            facts:
              rule?.actionRef && !/^0x0+$/.test(rule.actionRef) ? [['Code', textOf(rule.actionRef)]] : [],
          });
        }
      }

      if (wants.has('sla')) {
        for (const e of index.enforcements(chainTwinId)) {
          const breach = BREACHES[e.breach] ?? 'deadline';
          entry({
            id: `sla:${e.blockNumber}:${e.logIndex}`,
            kind: 'sla',
            actor: getAddress(e.actor),
            title: `SLA ${breach} breach of WO-${orderNumber(e.orderId)} penalised: ${formatAmount(e.amount, e.asset)}`,
            detail:
              `${context.labelOf(e.provider) ?? getAddress(e.provider)}'s bond paid ${formatAmount(e.amount, e.asset)} to ${context.labelOf(e.beneficiary) ?? getAddress(e.beneficiary)}` +
              (e.escalationContact
                ? `; escalated to ${context.labelOf(e.escalationContact) ?? getAddress(e.escalationContact)}.`
                : '.'),
            elementKey: e.elementKey,
            txHash: e.txHash,
            blockNumber: e.blockNumber,
            facts: [
              ['Breach', breach],
              ['Penalty', formatAmount(e.amount, e.asset)],
              ...(e.escalationContact
                ? ([
                    ['Escalated to', context.labelOf(e.escalationContact) ?? getAddress(e.escalationContact)],
                  ] as [string, string][])
                : []),
            ],
          });
        }
        for (const t of index.slaTerms(chainTwinId)) {
          entry({
            id: `sla:terms:${t.termsIndex}`,
            kind: 'sla',
            actor: getAddress(t.actor),
            title: `SLA terms ${t.termsIndex} set`,
            detail: `Respond within ${formatDuration(t.responseTime)}, resolve within ${formatDuration(t.resolutionTime)}, ${formatAmount(t.penalty, t.asset)} per breach${address(t.provider) ? `, provider ${context.labelOf(t.provider) ?? getAddress(t.provider)}` : ''}.`,
            txHash: t.txHash,
            blockNumber: t.blockNumber,
          });
        }
        for (const e of options.chainIndex.storedEvents(['BondPosted', 'BondWithdrawn'])) {
          if (e.twinId !== chainTwinId) continue;
          const posted = e.name === 'BondPosted';
          entry({
            id: `sla:bond:${e.blockNumber}:${e.logIndex}`,
            kind: 'sla',
            actor: getAddress(String(e.args.provider)),
            title: `Bond ${posted ? 'posted' : 'withdrawn'}: ${formatAmount(String(e.args.amount), String(e.args.asset))}`,
            detail: `The bond now holds ${formatAmount(String(e.args.balance), String(e.args.asset))}.`,
            txHash: e.txHash,
            blockNumber: e.blockNumber,
          });
        }
      }

      const missing = draft.filter((d) => d.at === null && d.blockNumber !== null).map((d) => d.blockNumber!);
      const times = missing.length ? await context.blockTimes(missing) : new Map<number, number>();
      return draft.map((d) => ({
        ...d,
        at: d.at ?? (d.blockNumber !== null ? (times.get(d.blockNumber) ?? 0) : 0),
      }));
    },
  };
}
