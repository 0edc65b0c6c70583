// Work orders, rules, SLA terms, bonds and penalties as the app sees them: the board (open,
// accepted, overdue, done) with SLA countdown data judged at the chain's time, the rules and sensor
// channels of elements, the twin's SLA terms, providers' bonds and claimable penalties; and the
// actions (open, accept, complete with a report — offline-signable —, cancel, enforce, edit rules
// and terms, post or withdraw bonds, withdraw penalties). Amounts are decimal strings in the asset's
// smallest unit (wei for ETH); sensor values are in the metric's unit (the contract stores them
// fixed-point: see SENSOR_VALUE_SCALE in sensors.ts). `maintenance.changed` says what to refresh.
import { z } from 'zod';
import { defineEvent, defineMethod } from './define';
import { SENSOR_VALUE_SCALE } from './sensors';

const TwinId = z.string().min(1).max(64);
const Hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
const Address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
/** A uint256 id (work order, rule) as a decimal string. */
const ChainId = z.string().regex(/^[1-9][0-9]{0,77}$/, 'a positive decimal id');
/** An amount in the asset's smallest unit, as a decimal string. */
const Amount = z.string().regex(/^[0-9]{1,78}$/, 'a whole number of the smallest unit (wei)');
const PositiveAmount = Amount.refine((v) => BigInt(v) > 0n, 'the amount must be more than zero');
/** A penalty: the contract keeps it as a uint96. */
const Penalty = PositiveAmount.refine(
  (v) => BigInt(v) < 2n ** 96n,
  'the penalty must be below 2^96 of the smallest unit (the contract keeps it in 96 bits)',
);
/**
 * A sensor value, threshold or bound in the metric's unit: the contract keeps it as an int128 of
 * thousandths (SENSOR_VALUE_SCALE), so it must be finite and within ±1e35.
 */
const ChainValue = z.number().finite().min(-1e35, 'at least -1e35').max(1e35, 'at most 1e35');
/** A short label stored on chain as bytes32: at most 31 bytes of UTF-8. */
const ShortText = z
  .string()
  .trim()
  .min(1)
  .max(31)
  .refine((v) => new TextEncoder().encode(v).length <= 31, 'at most 31 bytes');
const MetricName = z
  .string()
  .min(1)
  .max(31)
  .regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'a metric name starts with a letter: letters, digits, _ . -');
const IdentityId = z.string().min(1).max(128);
const UnixSeconds = z.number().int().nonnegative();

const ElementRef = z.union([
  z.object({ globalId: z.string().min(1).max(64) }).strict(),
  z.object({ elementKey: Hex32 }).strict(),
]);

export const WorkOrderStatus = z.enum(['open', 'assigned', 'accepted', 'completed', 'cancelled']);
export type WorkOrderStatus = z.infer<typeof WorkOrderStatus>;

/** The board's columns: open (not yet accepted), accepted, overdue (a deadline passed), done. */
export const BoardColumn = z.enum(['open', 'accepted', 'overdue', 'done']);
export type BoardColumn = z.infer<typeof BoardColumn>;

export const BreachKind = z.enum(['response', 'resolution']);
export type BreachKind = z.infer<typeof BreachKind>;

export const Comparator = z.enum(['>', '>=', '<', '<=']);
export type Comparator = z.infer<typeof Comparator>;

export const RuleAction = z.enum(['workOrder', 'parts', 'alert']);
export type RuleAction = z.infer<typeof RuleAction>;

/** The asset of bonds and penalties: ETH, or an ERC-20 by address. */
export const Asset = z.object({
  address: Address,
  symbol: z.string(),
  decimals: z.number().int().nonnegative(),
});
export type Asset = z.infer<typeof Asset>;

/** One SLA deadline of an order, judged at the chain's time. */
export const SlaClock = z.object({
  breach: BreachKind,
  deadline: UnixSeconds,
  /** Seconds left (negative once passed). */
  remaining: z.number().int(),
  /** Met: accepted (response) or completed (resolution) in time. */
  met: z.boolean(),
  /** Penalised already (once per order and breach). */
  enforced: z.boolean(),
  /** Anyone may call enforce for it now. */
  enforceable: z.boolean(),
  /** The penalty moved and who the breach was escalated to, once enforced. */
  penaltyPaid: Amount.nullable(),
  escalatedTo: Address.nullable(),
  escalatedToLabel: z.string().nullable(),
  enforcedTx: Hex32.nullable(),
});
export type SlaClock = z.infer<typeof SlaClock>;

/** A completion the crew signed (maybe offline), waiting for the chain. */
export const PendingCompletion = z.object({
  intentId: z.number().int().positive(),
  status: z.enum(['queued', 'sent', 'confirmed', 'failed']),
  signer: Address,
  signerLabel: z.string().nullable(),
  reportHash: Hex32,
  notes: z.string(),
  /** Why it failed or waits, in words. */
  reason: z.string().nullable(),
  txHash: Hex32.nullable(),
  createdAt: z.number(),
});
export type PendingCompletion = z.infer<typeof PendingCompletion>;

export const WorkOrder = z.object({
  orderId: ChainId,
  /** Per-twin sequence number (the low 64 bits of the id): "WO-3". */
  number: z.number().int().positive(),
  twinId: TwinId,
  chainTwinId: z.string(),
  elementKey: Hex32,
  globalId: z.string().nullable(),
  elementName: z.string().nullable(),
  ifcClass: z.string().nullable(),
  /** Opened by a rule's breach, or by hand. */
  origin: z.enum(['rule', 'manual']),
  ruleId: ChainId.nullable(),
  /** Work (a kind of job) or a parts request (kind = the part reference). */
  action: z.enum(['workOrder', 'parts']),
  kind: z.string(),
  status: WorkOrderStatus,
  column: BoardColumn,
  openedBy: Address,
  openedByLabel: z.string().nullable(),
  openedAt: UnixSeconds,
  openedTx: Hex32,
  /** The reading that breached the rule: value in the metric's unit, and the rule's threshold. */
  trigger: z
    .object({
      metric: z.string(),
      value: z.number(),
      comparator: Comparator,
      threshold: z.number(),
    })
    .nullable(),
  provider: Address.nullable(),
  providerLabel: z.string().nullable(),
  asset: Asset.nullable(),
  penalty: Amount.nullable(),
  /** What is left of the provider's bond for this twin (the penalty's asset). */
  providerBond: Amount.nullable(),
  escalationContact: Address.nullable(),
  escalationContactLabel: z.string().nullable(),
  clocks: z.array(SlaClock),
  acceptedLate: z.boolean().nullable(),
  closedBy: Address.nullable(),
  closedByLabel: z.string().nullable(),
  closedAt: UnixSeconds.nullable(),
  closedTx: Hex32.nullable(),
  reportHash: Hex32.nullable(),
  reportUri: z.string().nullable(),
  cancelReason: z.string().nullable(),
  pendingCompletion: PendingCompletion.nullable(),
  /** What the active identity may do with it now (main checks again on every action). */
  may: z.object({
    accept: z.boolean(),
    complete: z.boolean(),
    cancel: z.boolean(),
    enforce: z.boolean(),
  }),
});
export type WorkOrder = z.infer<typeof WorkOrder>;

export const MaintenanceRule = z.object({
  ruleId: ChainId,
  elementKey: Hex32,
  globalId: z.string().nullable(),
  elementName: z.string().nullable(),
  metric: z.string(),
  kind: z.enum(['condition', 'usage']),
  comparator: Comparator,
  /** Threshold (condition) or life limit (usage), in the metric's unit. */
  threshold: z.number(),
  /** Usage rules: the cumulative value counted from. */
  baseline: z.number(),
  action: RuleAction,
  /** Work kind, part reference or alert code. */
  actionRef: z.string(),
  /** The order this rule opened that is still open. */
  openOrderId: ChainId.nullable(),
  active: z.boolean(),
  blockNumber: z.number().int(),
  txHash: Hex32,
});
export type MaintenanceRule = z.infer<typeof MaintenanceRule>;

export const SensorChannel = z.object({
  elementKey: Hex32,
  globalId: z.string().nullable(),
  elementName: z.string().nullable(),
  metric: z.string(),
  sensor: Address,
  sensorLabel: z.string().nullable(),
  minValue: z.number(),
  maxValue: z.number(),
  active: z.boolean(),
});
export type SensorChannel = z.infer<typeof SensorChannel>;

export const SlaTerms = z.object({
  termsIndex: z.number().int().positive(),
  provider: Address.nullable(),
  providerLabel: z.string().nullable(),
  asset: Asset,
  penalty: Amount,
  responseSeconds: z.number().int().positive(),
  resolutionSeconds: z.number().int().positive(),
  escalationContact: Address,
  escalationContactLabel: z.string().nullable(),
  blockNumber: z.number().int(),
  txHash: Hex32,
});
export type SlaTerms = z.infer<typeof SlaTerms>;

export const Bond = z.object({
  provider: Address,
  providerLabel: z.string().nullable(),
  asset: Asset,
  balance: Amount,
  /** Open orders depending on it: while any, it cannot be withdrawn. */
  openOrders: z.number().int().nonnegative(),
  /** Penalties it still covers at the current terms (null without terms in its asset). */
  coversPenalties: z.number().int().nonnegative().nullable(),
});
export type Bond = z.infer<typeof Bond>;

export const Claimable = z.object({
  account: Address,
  accountLabel: z.string().nullable(),
  asset: Asset,
  balance: Amount,
});
export type Claimable = z.infer<typeof Claimable>;

/** Everything the maintenance tab needs about a twin in one answer. */
export const MaintenanceOverview = z.object({
  twinId: TwinId,
  chainTwinId: z.string().nullable(),
  /** The maintenance contract's address, or null when this deployment has none. */
  contract: Address.nullable(),
  /** Why the maintenance actions cannot be used now (no contract, not registered...); null when they can. */
  unavailable: z.string().nullable(),
  /** The chain's time (Unix seconds) the clocks were judged at; the UI ticks from it. */
  chainTime: UnixSeconds.nullable(),
  sandbox: z.boolean(),
  /** The sandbox's faucet ERC-20 (TLC) for terms and bonds in a token; null off the sandbox. */
  sandboxCredit: Asset.nullable(),
  owner: Address.nullable(),
  ownerLabel: z.string().nullable(),
  account: Address.nullable(),
  may: z.object({
    /** ADMIN: rules, SLA terms, sensors. */
    administer: z.boolean(),
    /** ADMIN or MAINTAINER: open and cancel work orders. */
    openOrders: z.boolean(),
    /** MAINTAINER: complete work orders. */
    complete: z.boolean(),
  }),
  terms: SlaTerms.nullable(),
  bonds: z.array(Bond),
  claimable: z.array(Claimable),
  counts: z.record(BoardColumn, z.number().int().nonnegative()),
});
export type MaintenanceOverview = z.infer<typeof MaintenanceOverview>;

/** What a maintenance transaction did. */
export const MaintenanceTx = z.object({
  txHash: Hex32,
  blockNumber: z.number().int(),
  summary: z.string(),
  /** The new work order or rule, when the action made one. */
  orderId: ChainId.nullable(),
  ruleId: ChainId.nullable(),
});
export type MaintenanceTx = z.infer<typeof MaintenanceTx>;

const RuleFields = z
  .object({
    element: ElementRef,
    metric: MetricName,
    kind: z.enum(['condition', 'usage']),
    /** Condition rules; usage rules always compare value - baseline >= limit. */
    comparator: Comparator.optional(),
    /** Threshold (condition) or life limit (usage, > 0), in the metric's unit. */
    threshold: ChainValue,
    baseline: ChainValue.optional(),
    action: RuleAction,
    /** Work kind (work orders), part reference (parts) or alert code (alerts). */
    actionRef: ShortText.optional(),
  })
  .strict();

const refineRule = <T extends z.infer<typeof RuleFields>>(rule: T, ctx: z.RefinementCtx) => {
  if (rule.kind === 'condition' && !rule.comparator)
    ctx.addIssue({ code: 'custom', path: ['comparator'], message: 'a condition rule needs a comparator' });
  // (Kept to thousandths on chain: a limit that rounds to 0 is none.)
  if (rule.kind === 'usage' && !(Math.round(rule.threshold * SENSOR_VALUE_SCALE) > 0))
    ctx.addIssue({
      code: 'custom',
      path: ['threshold'],
      message: `a usage rule needs a life limit of at least ${1 / SENSOR_VALUE_SCALE} (values are kept to thousandths)`,
    });
  if (rule.action !== 'alert' && !rule.actionRef)
    ctx.addIssue({
      code: 'custom',
      path: ['actionRef'],
      message: 'a rule that opens work needs a work kind or part reference',
    });
};

export const NewRule = RuleFields.extend({ twinId: TwinId }).strict().superRefine(refineRule);
export type NewRule = z.infer<typeof NewRule>;

export const SlaTermsInput = z
  .object({
    twinId: TwinId,
    /** The contracted provider orders are assigned to (null: assign by hand). */
    provider: Address.nullable(),
    /** Omitted: ETH. */
    asset: Address.optional(),
    penalty: Penalty,
    responseSeconds: z
      .number()
      .int()
      .min(60, 'at least a minute')
      .max(365 * 86400),
    resolutionSeconds: z
      .number()
      .int()
      .min(60, 'at least a minute')
      .max(365 * 86400),
    escalationContact: Address,
  })
  .strict()
  .refine((t) => t.resolutionSeconds >= t.responseSeconds, {
    message: 'the resolution time cannot be shorter than the response time',
    path: ['resolutionSeconds'],
  });
export type SlaTermsInput = z.infer<typeof SlaTermsInput>;

const Attachment = z
  .object({ name: z.string().min(1).max(256), sha256: z.string().regex(/^[0-9a-f]{64}$/) })
  .strict();

export const maintenanceMethods = {
  'maintenance.overview': defineMethod(z.object({ twinId: TwinId }).strict(), MaintenanceOverview),
  /** The board: a twin's work orders (of an element, in some columns), newest first. */
  'maintenance.workOrders': defineMethod(
    z
      .object({
        twinId: TwinId,
        elementKey: Hex32.optional(),
        columns: z.array(BoardColumn).max(4).optional(),
        statuses: z.array(WorkOrderStatus).max(5).optional(),
        limit: z.number().int().min(1).max(5000).optional(),
      })
      .strict(),
    z.object({ chainTime: UnixSeconds.nullable(), orders: z.array(WorkOrder), truncated: z.boolean() }),
  ),
  'maintenance.rules': defineMethod(
    z
      .object({ twinId: TwinId, elementKey: Hex32.optional(), includeRemoved: z.boolean().optional() })
      .strict(),
    z.object({ rules: z.array(MaintenanceRule), sensors: z.array(SensorChannel) }),
  ),
  'maintenance.addRule': defineMethod(NewRule, MaintenanceTx),
  /** Rules are immutable on chain: an edit removes the rule and adds its replacement. */
  'maintenance.editRule': defineMethod(
    RuleFields.extend({ twinId: TwinId, ruleId: ChainId }).strict().superRefine(refineRule),
    MaintenanceTx,
  ),
  'maintenance.removeRule': defineMethod(
    z.object({ twinId: TwinId, ruleId: ChainId }).strict(),
    MaintenanceTx,
  ),
  'maintenance.registerSensor': defineMethod(
    z
      .object({
        twinId: TwinId,
        element: ElementRef,
        metric: MetricName,
        sensor: Address,
        minValue: ChainValue,
        maxValue: ChainValue,
      })
      .strict()
      .refine((s) => s.minValue <= s.maxValue, { message: 'minValue is above maxValue', path: ['minValue'] }),
    MaintenanceTx,
  ),
  /** SLA terms are immutable on chain: editing them sets new terms for orders assigned from now on. */
  'maintenance.setSlaTerms': defineMethod(SlaTermsInput, MaintenanceTx),
  /** The active identity (a provider) tops up its bond for the twin. */
  'maintenance.postBond': defineMethod(
    z.object({ twinId: TwinId, amount: PositiveAmount, asset: Address.optional() }).strict(),
    MaintenanceTx,
  ),
  'maintenance.withdrawBond': defineMethod(
    z.object({ twinId: TwinId, amount: PositiveAmount, asset: Address.optional() }).strict(),
    MaintenanceTx,
  ),
  /** The active identity withdraws the penalties it received (pull payment). */
  'maintenance.withdrawClaimable': defineMethod(
    z.object({ twinId: TwinId, asset: Address.optional() }).strict(),
    MaintenanceTx,
  ),
  'maintenance.openWorkOrder': defineMethod(
    z.object({ twinId: TwinId, element: ElementRef, kind: ShortText }).strict(),
    MaintenanceTx,
  ),
  'maintenance.acceptWorkOrder': defineMethod(
    z.object({ twinId: TwinId, orderId: ChainId }).strict(),
    MaintenanceTx,
  ),
  /**
   * A MAINTAINER completes an order with a report: signed now (offline too), queued durably, and
   * relayed when the chain answers. Answers the pending completion.
   */
  'maintenance.completeWorkOrder': defineMethod(
    z
      .object({
        twinId: TwinId,
        orderId: ChainId,
        notes: z.string().trim().min(1, 'describe the work done').max(10_000),
        attachments: z.array(Attachment).max(50).optional(),
        identityId: IdentityId.optional(),
      })
      .strict(),
    PendingCompletion,
  ),
  /** Signs a failed completion again (fresh nonce and deadline) and queues it. */
  'maintenance.retryCompletion': defineMethod(
    z.object({ intentId: z.number().int().positive() }).strict(),
    PendingCompletion,
  ),
  'maintenance.discardCompletion': defineMethod(
    z.object({ intentId: z.number().int().positive() }).strict(),
    z.object({ discarded: z.boolean() }),
  ),
  'maintenance.cancelWorkOrder': defineMethod(
    z.object({ twinId: TwinId, orderId: ChainId, reason: ShortText }).strict(),
    MaintenanceTx,
  ),
  /** Penalises a passed deadline (anyone may): the penalty moves, the breach is escalated. */
  'maintenance.enforce': defineMethod(
    z.object({ twinId: TwinId, orderId: ChainId, breach: BreachKind }).strict(),
    MaintenanceTx,
  ),
  /**
   * Sandbox only: moves the embedded chain's clock forward (and mines a block), to see what a
   * passing SLA deadline does. Refused on a network chain.
   */
  'maintenance.advanceSandboxClock': defineMethod(
    z
      .object({
        seconds: z
          .number()
          .int()
          .min(1)
          .max(366 * 86400),
      })
      .strict(),
    z.object({ chainTime: UnixSeconds, blockNumber: z.number().int() }),
  ),
};

export const maintenanceEvents = {
  /** Work orders, rules, terms, bonds or pending completions of a twin changed (null: any twin). */
  'maintenance.changed': defineEvent(z.object({ twinId: TwinId.nullable() })),
};

// ---- SLA clocks, judged the same way in main and in the renderer (which ticks them) ------------

/** What the clocks of an order are judged from (chain data only). */
export interface ClockSource {
  status: WorkOrderStatus;
  respondBy: number | null;
  resolveBy: number | null;
  /** Accepted after the response deadline (null: not accepted). */
  acceptedLate: boolean | null;
  responseEnforced: boolean;
  resolutionEnforced: boolean;
}

const OPEN_ON_CHAIN: readonly WorkOrderStatus[] = ['assigned', 'accepted'];

/**
 * An order's two SLA deadlines at chain time `now`, as the contract judges them: the response is
 * due once its deadline passed while still unaccepted (or when it was accepted late), the
 * resolution once its deadline passed; only assigned or accepted orders can be enforced, once each.
 */
export function slaClocks(
  order: ClockSource,
  now: number,
): Pick<SlaClock, 'breach' | 'deadline' | 'remaining' | 'met' | 'enforced' | 'enforceable'>[] {
  if (order.respondBy === null || order.resolveBy === null) return [];
  const open = OPEN_ON_CHAIN.includes(order.status);
  const responseDue = order.acceptedLate === true || (order.status === 'assigned' && now > order.respondBy);
  const resolutionDue = now > order.resolveBy;
  return [
    {
      breach: 'response',
      deadline: order.respondBy,
      remaining: order.respondBy - now,
      met: order.acceptedLate === false,
      enforced: order.responseEnforced,
      enforceable: open && responseDue && !order.responseEnforced,
    },
    {
      breach: 'resolution',
      deadline: order.resolveBy,
      remaining: order.resolveBy - now,
      met: order.status === 'completed' && !order.resolutionEnforced,
      enforced: order.resolutionEnforced,
      enforceable: open && resolutionDue && !order.resolutionEnforced,
    },
  ];
}

/** The board column of an order at chain time `now`. */
export function boardColumn(order: ClockSource, now: number): BoardColumn {
  if (order.status === 'completed' || order.status === 'cancelled') return 'done';
  const clocks = slaClocks(order, now);
  const late =
    clocks.some((c) => c.enforceable || c.enforced) ||
    (order.resolveBy !== null && now > order.resolveBy) ||
    (order.status === 'assigned' && order.respondBy !== null && now > order.respondBy);
  if (late) return 'overdue';
  return order.status === 'accepted' ? 'accepted' : 'open';
}
