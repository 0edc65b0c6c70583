// The maintenance contract's derived state in the chain index (migration 5): an extension of
// ChainIndex that derives sensors, rules, SLA terms, bonds, claimable balances, work orders, alerts,
// readings and enforced breaches from the contract's events inside the indexer's transaction, and the
// queries the maintenance service answers from. Also the durable queue of completions a crew signed
// offline (maint_intents).
import type { SqliteDatabase } from './database';
import type { IndexExtension, IndexedEvent } from './chain-index';

export type OrderStatusName = 'open' | 'assigned' | 'accepted' | 'completed' | 'cancelled';

export interface WorkOrderRow {
  orderId: string;
  twinId: string;
  elementKey: string;
  ruleId: string | null;
  action: number;
  kind: string;
  status: OrderStatusName;
  openedBy: string;
  openedAt: number;
  openedBlock: number;
  openedTx: string;
  triggerValue: string | null;
  provider: string | null;
  termsIndex: number | null;
  asset: string | null;
  penalty: string | null;
  respondBy: number | null;
  resolveBy: number | null;
  escalationContact: string | null;
  assignedBy: string | null;
  acceptedBlock: number | null;
  acceptedLate: boolean | null;
  closedBy: string | null;
  closedAt: number | null;
  closedBlock: number | null;
  closedTx: string | null;
  reportHash: string | null;
  reportUri: string | null;
  cancelReason: string | null;
  responseEnforced: boolean;
  resolutionEnforced: boolean;
}

export interface RuleRow {
  ruleId: string;
  twinId: string;
  elementKey: string;
  metric: string;
  kind: number;
  comparator: number;
  threshold: string;
  usageBaseline: string;
  action: number;
  actionRef: string;
  openOrderId: string | null;
  active: boolean;
  actor: string;
  blockNumber: number;
  txHash: string;
}

export interface SensorRow {
  twinId: string;
  elementKey: string;
  metric: string;
  sensor: string;
  minValue: string;
  maxValue: string;
  active: boolean;
  blockNumber: number;
}

export interface SlaTermsRow {
  twinId: string;
  termsIndex: number;
  provider: string;
  asset: string;
  penalty: string;
  responseTime: number;
  resolutionTime: number;
  escalationContact: string;
  actor: string;
  blockNumber: number;
  txHash: string;
}

export interface BondRow {
  twinId: string;
  provider: string;
  asset: string;
  balance: string;
  /** Orders assigned to this provider in this asset and not closed (they lock the bond). */
  openOrders: number;
}

export interface EnforcementRow {
  blockNumber: number;
  logIndex: number;
  orderId: string;
  twinId: string;
  elementKey: string;
  breach: number;
  provider: string;
  beneficiary: string;
  asset: string;
  amount: string;
  actor: string;
  escalationContact: string | null;
  txHash: string;
}

export interface AlertRow {
  blockNumber: number;
  logIndex: number;
  twinId: string;
  elementKey: string;
  ruleId: string;
  value: string;
  usageBaseline: string;
  outcome: number;
  orderId: string | null;
  txHash: string;
}

export interface ChainReadingRow {
  blockNumber: number;
  logIndex: number;
  twinId: string;
  elementKey: string;
  metric: string;
  accepted: boolean;
  sensor: string | null;
  value: string | null;
  measuredAt: number | null;
  sequence: number;
  reason: string | null;
  txHash: string;
}

export type IntentStatus = 'queued' | 'sent' | 'confirmed' | 'failed';

export interface MaintenanceIntentRow {
  id: number;
  kind: 'completeWorkOrder';
  status: IntentStatus;
  storeTwinId: string;
  chainTwinId: string;
  orderId: string;
  signer: string;
  identityId: string | null;
  nonce: number;
  deadline: number;
  message: Record<string, string>;
  signature: string;
  digest: string;
  calldata: string;
  summary: string;
  details: { notes: string; attachments: { name: string; sha256: string }[] };
  txHash: string | null;
  rawTx: string | null;
  blockNumber: number | null;
  reason: string | null;
  reasonCode: string | null;
  attempts: number;
  createdAt: number;
  updatedAt: number;
}

/** The contract's events this extension derives state from. */
export const MAINTENANCE_EVENTS = [
  'SensorRegistered',
  'SensorRevoked',
  'ReadingWindowSet',
  'ReadingRecorded',
  'ReadingRejected',
  'RuleAdded',
  'RuleRemoved',
  'RuleTriggered',
  'SlaTermsSet',
  'BondPosted',
  'BondWithdrawn',
  'PaymentWithdrawn',
  'WorkOrderOpened',
  'WorkOrderAssigned',
  'WorkOrderAccepted',
  'WorkOrderCompleted',
  'WorkOrderCancelled',
  'SlaBreachEnforced',
  'SlaEscalated',
] as const;

/** Contract enum values, by the contract's declaration order. */
export const TRIGGER_OUTCOME = { Alert: 0, OrderOpened: 1, OrderAlreadyOpen: 2 } as const;
export const BREACH = { Response: 0, Resolution: 1 } as const;

const TABLES = [
  ['maint_sensors', 'twin_id, element_key, metric'],
  ['maint_reading_windows', 'twin_id'],
  ['maint_rules', 'rule_id'],
  ['maint_sla_terms', 'twin_id, terms_index'],
  ['maint_bonds', 'twin_id, provider, asset'],
  ['maint_claimable', 'account, asset'],
  ['maint_work_orders', 'order_id'],
  ['maint_alerts', 'block_number, log_index'],
  ['maint_readings', 'block_number, log_index'],
  ['maint_enforcements', 'block_number, log_index'],
] as const;

const str = (value: string | boolean | undefined): string => String(value);
const num = (value: string | boolean | undefined): number => Number(value);
const big = (value: string | null | undefined): bigint => BigInt(value ?? '0');
/** A bytes32 arg as stored (lower-case hex). */
const b32 = (value: string | boolean | undefined): string => String(value).toLowerCase();

type Listener = (twins: ReadonlySet<string>) => void;

export class MaintenanceIndex implements IndexExtension {
  readonly name = 'maintenance';
  readonly eventNames: ReadonlySet<string> = new Set(MAINTENANCE_EVENTS);
  readonly tables = TABLES;
  private readonly pending = new Set<string>();
  private readonly listeners = new Set<Listener>();
  private readonly s: ReturnType<MaintenanceIndex['prepare']>;

  constructor(readonly db: SqliteDatabase) {
    this.s = this.prepare();
  }

  /** Tells `listener` which chain twins changed, after each committed transaction. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private prepare() {
    const db = this.db;
    return {
      sensor: db.prepare(
        `INSERT OR REPLACE INTO maint_sensors
           (twin_id, element_key, metric, sensor, min_value, max_value, active, actor, block_number, tx_hash)
         VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
      ),
      revokeSensor: db.prepare(
        `UPDATE maint_sensors SET active = 0, actor = ?, block_number = ?, tx_hash = ?
         WHERE twin_id = ? AND element_key = ? AND metric = ?`,
      ),
      window: db.prepare(
        `INSERT OR REPLACE INTO maint_reading_windows (twin_id, max_age, max_skew) VALUES (?, ?, ?)`,
      ),
      reading: db.prepare(
        `INSERT OR REPLACE INTO maint_readings
           (block_number, log_index, twin_id, element_key, metric, accepted, sensor, value, measured_at, sequence, reason, tx_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      rule: db.prepare(
        `INSERT OR REPLACE INTO maint_rules
           (rule_id, twin_id, element_key, metric, kind, comparator, threshold, usage_baseline, action, action_ref,
            open_order_id, active, actor, block_number, tx_hash, removed_block)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 1, ?, ?, ?, NULL)`,
      ),
      removeRule: db.prepare(`UPDATE maint_rules SET active = 0, removed_block = ? WHERE rule_id = ?`),
      ruleOpenOrder: db.prepare(`UPDATE maint_rules SET open_order_id = ? WHERE rule_id = ?`),
      ruleBaseline: db.prepare(`UPDATE maint_rules SET usage_baseline = ? WHERE rule_id = ? AND kind = 1`),
      clearRuleOrder: db.prepare(`UPDATE maint_rules SET open_order_id = NULL WHERE open_order_id = ?`),
      alert: db.prepare(
        `INSERT OR REPLACE INTO maint_alerts
           (block_number, log_index, twin_id, element_key, rule_id, value, usage_baseline, outcome, order_id, tx_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      terms: db.prepare(
        `INSERT OR REPLACE INTO maint_sla_terms
           (twin_id, terms_index, provider, asset, penalty, response_time, resolution_time, escalation_contact, actor,
            block_number, tx_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      setBond: db.prepare(
        `INSERT OR REPLACE INTO maint_bonds (twin_id, provider, asset, balance, block_number) VALUES (?, ?, ?, ?, ?)`,
      ),
      bond: db
        .prepare(
          `SELECT balance FROM maint_bonds WHERE twin_id = ? AND provider = ? COLLATE NOCASE AND asset = ? COLLATE NOCASE`,
        )
        .pluck(),
      setClaimable: db.prepare(
        `INSERT OR REPLACE INTO maint_claimable (account, asset, balance, block_number) VALUES (?, ?, ?, ?)`,
      ),
      claimable: db
        .prepare(
          `SELECT balance FROM maint_claimable WHERE account = ? COLLATE NOCASE AND asset = ? COLLATE NOCASE`,
        )
        .pluck(),
      open: db.prepare(
        `INSERT OR REPLACE INTO maint_work_orders
           (order_id, twin_id, element_key, rule_id, action, kind, status, opened_by, opened_at, opened_block, opened_tx)
         VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?)`,
      ),
      triggerValue: db.prepare(`UPDATE maint_work_orders SET trigger_value = ? WHERE order_id = ?`),
      assign: db.prepare(
        `UPDATE maint_work_orders SET status = 'assigned', provider = ?, terms_index = ?, asset = ?, penalty = ?,
           respond_by = ?, resolve_by = ?, escalation_contact = ?, assigned_by = ?
         WHERE order_id = ?`,
      ),
      accept: db.prepare(
        `UPDATE maint_work_orders SET status = 'accepted', accepted_block = ?, accepted_late = ? WHERE order_id = ?`,
      ),
      complete: db.prepare(
        `UPDATE maint_work_orders SET status = 'completed', closed_by = ?, closed_at = ?, closed_block = ?, closed_tx = ?,
           report_hash = ?, report_uri = ?
         WHERE order_id = ?`,
      ),
      cancel: db.prepare(
        `UPDATE maint_work_orders SET status = 'cancelled', closed_by = ?, closed_block = ?, closed_tx = ?, cancel_reason = ?
         WHERE order_id = ?`,
      ),
      enforced: db.prepare(
        `INSERT OR REPLACE INTO maint_enforcements
           (block_number, log_index, order_id, twin_id, element_key, breach, provider, beneficiary, asset, amount, actor,
            escalation_contact, tx_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
      ),
      markResponseEnforced: db.prepare(
        `UPDATE maint_work_orders SET response_enforced = 1 WHERE order_id = ?`,
      ),
      markResolutionEnforced: db.prepare(
        `UPDATE maint_work_orders SET resolution_enforced = 1 WHERE order_id = ?`,
      ),
      escalated: db.prepare(
        `UPDATE maint_enforcements SET escalation_contact = ?
         WHERE order_id = ? AND breach = ? AND tx_hash = ? AND escalation_contact IS NULL`,
      ),
    };
  }

  // ---- IndexExtension ------------------------------------------------------------------------

  apply(event: IndexedEvent): void {
    if (!this.eventNames.has(event.name)) return;
    const s = this.s;
    const a = event.args;
    const twin = event.twinId ?? '';
    const at = event.blockNumber;
    const tx = event.txHash;
    switch (event.name) {
      case 'SensorRegistered':
        s.sensor.run(
          twin,
          b32(a.elementKey),
          b32(a.metric),
          str(a.sensor),
          str(a.minValue),
          str(a.maxValue),
          str(a.actor),
          at,
          tx,
        );
        break;
      case 'SensorRevoked':
        s.revokeSensor.run(str(a.actor), at, tx, twin, b32(a.elementKey), b32(a.metric));
        break;
      case 'ReadingWindowSet':
        s.window.run(twin, num(a.maxAge), num(a.maxSkew));
        break;
      case 'ReadingRecorded':
        s.reading.run(
          at,
          event.logIndex,
          twin,
          b32(a.elementKey),
          b32(a.metric),
          1,
          str(a.sensor),
          str(a.value),
          num(a.timestamp),
          num(a.sequence),
          null,
          tx,
        );
        break;
      case 'ReadingRejected':
        s.reading.run(
          at,
          event.logIndex,
          twin,
          b32(a.elementKey),
          b32(a.metric),
          0,
          null,
          null,
          null,
          num(a.sequence),
          str(a.reason),
          tx,
        );
        break;
      case 'RuleAdded':
        s.rule.run(
          str(a.ruleId),
          twin,
          b32(a.elementKey),
          b32(a.metric),
          num(a.kind),
          num(a.comparator),
          str(a.threshold),
          str(a.usageBaseline),
          num(a.action),
          b32(a.actionRef),
          str(a.actor),
          at,
          tx,
        );
        break;
      case 'RuleRemoved':
        s.removeRule.run(at, str(a.ruleId));
        break;
      case 'RuleTriggered': {
        const outcome = num(a.outcome);
        const orderId = str(a.orderId) === '0' ? null : str(a.orderId);
        s.alert.run(
          at,
          event.logIndex,
          twin,
          b32(a.elementKey),
          str(a.ruleId),
          str(a.value),
          str(a.usageBaseline),
          outcome,
          orderId,
          tx,
        );
        if (outcome === TRIGGER_OUTCOME.OrderOpened && orderId !== null) {
          s.ruleOpenOrder.run(orderId, str(a.ruleId));
          // A usage rule counts from the breaching value once its order opens.
          s.ruleBaseline.run(str(a.value), str(a.ruleId));
        }
        break;
      }
      case 'SlaTermsSet':
        s.terms.run(
          twin,
          num(a.termsIndex),
          str(a.provider),
          str(a.asset),
          str(a.penalty),
          num(a.responseTime),
          num(a.resolutionTime),
          str(a.escalationContact),
          str(a.actor),
          at,
          tx,
        );
        break;
      case 'BondPosted':
      case 'BondWithdrawn':
        s.setBond.run(twin, str(a.provider), str(a.asset), str(a.balance), at);
        break;
      case 'PaymentWithdrawn':
        // withdraw() sends the whole claimable balance.
        s.setClaimable.run(str(a.account), str(a.asset), '0', at);
        break;
      case 'WorkOrderOpened': {
        const ruleId = str(a.ruleId) === '0' ? null : str(a.ruleId);
        s.open.run(
          str(a.orderId),
          twin,
          b32(a.elementKey),
          ruleId,
          num(a.action),
          b32(a.kind),
          str(a.actor),
          num(a.openedAt),
          at,
          tx,
        );
        if (ruleId !== null) {
          // The breaching value came in the RuleTriggered just before, in the same transaction.
          const value = this.db
            .prepare(
              `SELECT value FROM maint_alerts WHERE rule_id = ? AND tx_hash = ? AND order_id = ?
               ORDER BY block_number DESC, log_index DESC LIMIT 1`,
            )
            .pluck()
            .get(ruleId, tx, str(a.orderId)) as string | undefined;
          if (value !== undefined) s.triggerValue.run(value, str(a.orderId));
        }
        break;
      }
      case 'WorkOrderAssigned':
        s.assign.run(
          str(a.provider),
          num(a.termsIndex),
          str(a.asset),
          str(a.penalty),
          num(a.respondBy),
          num(a.resolveBy),
          str(a.escalationContact),
          str(a.actor),
          str(a.orderId),
        );
        break;
      case 'WorkOrderAccepted':
        s.accept.run(at, a.late === true || a.late === 'true' ? 1 : 0, str(a.orderId));
        break;
      case 'WorkOrderCompleted':
        s.complete.run(
          str(a.actor),
          num(a.completedAt),
          at,
          tx,
          b32(a.reportHash),
          str(a.uri),
          str(a.orderId),
        );
        s.clearRuleOrder.run(str(a.orderId));
        break;
      case 'WorkOrderCancelled':
        s.cancel.run(str(a.actor), at, tx, b32(a.reason), str(a.orderId));
        s.clearRuleOrder.run(str(a.orderId));
        break;
      case 'SlaBreachEnforced': {
        const amount = big(str(a.amount));
        s.enforced.run(
          at,
          event.logIndex,
          str(a.orderId),
          twin,
          b32(a.elementKey),
          num(a.breach),
          str(a.provider),
          str(a.beneficiary),
          str(a.asset),
          amount.toString(),
          str(a.actor),
          tx,
        );
        if (num(a.breach) === BREACH.Response) s.markResponseEnforced.run(str(a.orderId));
        else s.markResolutionEnforced.run(str(a.orderId));
        // The penalty leaves the provider's bond and reaches the beneficiary's claimable balance.
        const bond = big(s.bond.get(twin, str(a.provider), str(a.asset)) as string | undefined);
        s.setBond.run(twin, str(a.provider), str(a.asset), (bond - amount).toString(), at);
        const claim = big(s.claimable.get(str(a.beneficiary), str(a.asset)) as string | undefined);
        s.setClaimable.run(str(a.beneficiary), str(a.asset), (claim + amount).toString(), at);
        break;
      }
      case 'SlaEscalated':
        s.escalated.run(str(a.escalationContact), str(a.orderId), num(a.breach), tx);
        break;
    }
    if (event.twinId !== null) this.pending.add(event.twinId);
  }

  clear(): void {
    for (const [table] of TABLES) this.db.prepare(`DELETE FROM ${table}`).run();
    this.pending.add('*');
  }

  settle(committed: boolean): void {
    if (!committed || this.pending.size === 0) {
      this.pending.clear();
      return;
    }
    const twins = new Set(this.pending);
    this.pending.clear();
    for (const listener of [...this.listeners]) listener(twins);
  }

  // ---- reading -----------------------------------------------------------------------------

  workOrders(
    chainTwinId: string,
    filter: { elementKey?: string; statuses?: readonly OrderStatusName[]; orderId?: string } = {},
  ): WorkOrderRow[] {
    const where = ['twin_id = ?'];
    const params: unknown[] = [chainTwinId];
    if (filter.elementKey) {
      where.push('element_key = ?');
      params.push(filter.elementKey.toLowerCase());
    }
    if (filter.orderId) {
      where.push('order_id = ?');
      params.push(filter.orderId);
    }
    if (filter.statuses?.length) {
      where.push(`status IN (${filter.statuses.map(() => '?').join(', ')})`);
      params.push(...filter.statuses);
    }
    const rows = this.db
      .prepare(
        `SELECT * FROM maint_work_orders WHERE ${where.join(' AND ')} ORDER BY opened_block DESC, order_id DESC`,
      )
      .all(...params) as Record<string, unknown>[];
    return rows.map(orderFromRow);
  }

  workOrder(orderId: string): WorkOrderRow | null {
    const row = this.db.prepare('SELECT * FROM maint_work_orders WHERE order_id = ?').get(orderId) as
      Record<string, unknown> | undefined;
    return row ? orderFromRow(row) : null;
  }

  rules(chainTwinId: string, options: { elementKey?: string; includeRemoved?: boolean } = {}): RuleRow[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM maint_rules WHERE twin_id = ?
           AND (? IS NULL OR element_key = ?) AND (? = 1 OR active = 1)
         ORDER BY block_number, rule_id`,
      )
      .all(
        chainTwinId,
        options.elementKey?.toLowerCase() ?? null,
        options.elementKey?.toLowerCase() ?? null,
        options.includeRemoved ? 1 : 0,
      ) as Record<string, unknown>[];
    return rows.map((r) => ({
      ruleId: r.rule_id as string,
      twinId: r.twin_id as string,
      elementKey: r.element_key as string,
      metric: r.metric as string,
      kind: r.kind as number,
      comparator: r.comparator as number,
      threshold: r.threshold as string,
      usageBaseline: r.usage_baseline as string,
      action: r.action as number,
      actionRef: r.action_ref as string,
      openOrderId: (r.open_order_id as string | null) ?? null,
      active: r.active === 1,
      actor: r.actor as string,
      blockNumber: r.block_number as number,
      txHash: r.tx_hash as string,
    }));
  }

  rule(ruleId: string): RuleRow | null {
    const twin = this.db.prepare('SELECT twin_id FROM maint_rules WHERE rule_id = ?').pluck().get(ruleId) as
      string | undefined;
    if (twin === undefined) return null;
    return this.rules(twin, { includeRemoved: true }).find((r) => r.ruleId === ruleId) ?? null;
  }

  sensors(chainTwinId: string, elementKey?: string): SensorRow[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM maint_sensors WHERE twin_id = ? AND (? IS NULL OR element_key = ?)
         ORDER BY element_key, metric`,
      )
      .all(chainTwinId, elementKey?.toLowerCase() ?? null, elementKey?.toLowerCase() ?? null) as Record<
      string,
      unknown
    >[];
    return rows.map((r) => ({
      twinId: r.twin_id as string,
      elementKey: r.element_key as string,
      metric: r.metric as string,
      sensor: r.sensor as string,
      minValue: r.min_value as string,
      maxValue: r.max_value as string,
      active: r.active === 1,
      blockNumber: r.block_number as number,
    }));
  }

  slaTerms(chainTwinId: string): SlaTermsRow[] {
    const rows = this.db
      .prepare('SELECT * FROM maint_sla_terms WHERE twin_id = ? ORDER BY terms_index')
      .all(chainTwinId) as Record<string, unknown>[];
    return rows.map((r) => ({
      twinId: r.twin_id as string,
      termsIndex: r.terms_index as number,
      provider: r.provider as string,
      asset: r.asset as string,
      penalty: r.penalty as string,
      responseTime: r.response_time as number,
      resolutionTime: r.resolution_time as number,
      escalationContact: r.escalation_contact as string,
      actor: r.actor as string,
      blockNumber: r.block_number as number,
      txHash: r.tx_hash as string,
    }));
  }

  bonds(chainTwinId: string): BondRow[] {
    const rows = this.db
      .prepare(
        `SELECT b.twin_id, b.provider, b.asset, b.balance,
                (SELECT COUNT(*) FROM maint_work_orders o
                  WHERE o.twin_id = b.twin_id AND o.provider = b.provider COLLATE NOCASE
                    AND o.asset = b.asset COLLATE NOCASE AND o.status IN ('assigned', 'accepted')) AS open_orders
         FROM maint_bonds b WHERE b.twin_id = ? ORDER BY b.provider, b.asset`,
      )
      .all(chainTwinId) as {
      twin_id: string;
      provider: string;
      asset: string;
      balance: string;
      open_orders: number;
    }[];
    return rows.map((r) => ({
      twinId: r.twin_id,
      provider: r.provider,
      asset: r.asset,
      balance: r.balance,
      openOrders: r.open_orders,
    }));
  }

  bondOf(chainTwinId: string, provider: string, asset: string): string {
    return (this.s.bond.get(chainTwinId, provider, asset) as string | undefined) ?? '0';
  }

  claimable(account?: string): { account: string; asset: string; balance: string }[] {
    return this.db
      .prepare(
        `SELECT account, asset, balance FROM maint_claimable WHERE (? IS NULL OR account = ? COLLATE NOCASE)
         ORDER BY account, asset`,
      )
      .all(account ?? null, account ?? null) as { account: string; asset: string; balance: string }[];
  }

  enforcements(chainTwinId: string, orderId?: string): EnforcementRow[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM maint_enforcements WHERE twin_id = ? AND (? IS NULL OR order_id = ?)
         ORDER BY block_number, log_index`,
      )
      .all(chainTwinId, orderId ?? null, orderId ?? null) as Record<string, unknown>[];
    return rows.map((r) => ({
      blockNumber: r.block_number as number,
      logIndex: r.log_index as number,
      orderId: r.order_id as string,
      twinId: r.twin_id as string,
      elementKey: r.element_key as string,
      breach: r.breach as number,
      provider: r.provider as string,
      beneficiary: r.beneficiary as string,
      asset: r.asset as string,
      amount: r.amount as string,
      actor: r.actor as string,
      escalationContact: (r.escalation_contact as string | null) ?? null,
      txHash: r.tx_hash as string,
    }));
  }

  alerts(chainTwinId: string, elementKey?: string): AlertRow[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM maint_alerts WHERE twin_id = ? AND (? IS NULL OR element_key = ?)
         ORDER BY block_number, log_index`,
      )
      .all(chainTwinId, elementKey?.toLowerCase() ?? null, elementKey?.toLowerCase() ?? null) as Record<
      string,
      unknown
    >[];
    return rows.map((r) => ({
      blockNumber: r.block_number as number,
      logIndex: r.log_index as number,
      twinId: r.twin_id as string,
      elementKey: r.element_key as string,
      ruleId: r.rule_id as string,
      value: r.value as string,
      usageBaseline: r.usage_baseline as string,
      outcome: r.outcome as number,
      orderId: (r.order_id as string | null) ?? null,
      txHash: r.tx_hash as string,
    }));
  }

  chainReadings(
    chainTwinId: string,
    options: { elementKey?: string; limit?: number } = {},
  ): ChainReadingRow[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM maint_readings WHERE twin_id = ? AND (? IS NULL OR element_key = ?)
         ORDER BY block_number DESC, log_index DESC LIMIT ?`,
      )
      .all(
        chainTwinId,
        options.elementKey?.toLowerCase() ?? null,
        options.elementKey?.toLowerCase() ?? null,
        options.limit ?? 200,
      ) as Record<string, unknown>[];
    return rows.map((r) => ({
      blockNumber: r.block_number as number,
      logIndex: r.log_index as number,
      twinId: r.twin_id as string,
      elementKey: r.element_key as string,
      metric: r.metric as string,
      accepted: r.accepted === 1,
      sensor: (r.sensor as string | null) ?? null,
      value: (r.value as string | null) ?? null,
      measuredAt: (r.measured_at as number | null) ?? null,
      sequence: r.sequence as number,
      reason: (r.reason as string | null) ?? null,
      txHash: r.tx_hash as string,
    }));
  }

  /** Timestamps the indexer kept for these blocks (range ends); others are asked of the chain. */
  blockTimes(numbers: readonly number[]): Map<number, number> {
    const out = new Map<number, number>();
    const get = this.db.prepare('SELECT timestamp FROM chain_blocks WHERE number = ?').pluck();
    for (const n of new Set(numbers)) {
      const t = get.get(n) as number | null | undefined;
      if (typeof t === 'number') out.set(n, t);
    }
    return out;
  }

  // ---- the offline completion queue ------------------------------------------------------------

  insertIntent(
    intent: Omit<
      MaintenanceIntentRow,
      | 'id'
      | 'status'
      | 'txHash'
      | 'rawTx'
      | 'blockNumber'
      | 'reason'
      | 'reasonCode'
      | 'attempts'
      | 'createdAt'
      | 'updatedAt'
    >,
  ): MaintenanceIntentRow {
    const now = Date.now();
    const id = this.db
      .prepare(
        `INSERT INTO maint_intents (kind, status, store_twin_id, chain_twin_id, order_id, signer, identity_id, nonce,
           deadline, message, signature, digest, calldata, summary, details, created_at, updated_at)
         VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        intent.kind,
        intent.storeTwinId,
        intent.chainTwinId,
        intent.orderId,
        intent.signer,
        intent.identityId,
        intent.nonce,
        intent.deadline,
        JSON.stringify(intent.message),
        intent.signature,
        intent.digest,
        intent.calldata,
        intent.summary,
        JSON.stringify(intent.details),
        now,
        now,
      ).lastInsertRowid;
    return this.intent(Number(id))!;
  }

  intent(id: number): MaintenanceIntentRow | null {
    const row = this.db.prepare('SELECT * FROM maint_intents WHERE id = ?').get(id) as
      Record<string, unknown> | undefined;
    return row ? intentFromRow(row) : null;
  }

  intents(
    filter: { statuses?: readonly IntentStatus[]; orderId?: string; storeTwinId?: string } = {},
  ): MaintenanceIntentRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.statuses?.length) {
      where.push(`status IN (${filter.statuses.map(() => '?').join(', ')})`);
      params.push(...filter.statuses);
    }
    if (filter.orderId) {
      where.push('order_id = ?');
      params.push(filter.orderId);
    }
    if (filter.storeTwinId) {
      where.push('store_twin_id = ?');
      params.push(filter.storeTwinId);
    }
    const rows = this.db
      .prepare(
        `SELECT * FROM maint_intents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id`,
      )
      .all(...params) as Record<string, unknown>[];
    return rows.map(intentFromRow);
  }

  /** Replaces an intent's signature (new nonce or deadline), back in the queue. */
  resignIntent(
    id: number,
    fields: Pick<
      MaintenanceIntentRow,
      'nonce' | 'deadline' | 'message' | 'signature' | 'digest' | 'calldata' | 'summary'
    >,
  ): void {
    this.db
      .prepare(
        `UPDATE maint_intents SET status = 'queued', nonce = ?, deadline = ?, message = ?, signature = ?, digest = ?,
           calldata = ?, summary = ?, tx_hash = NULL, raw_tx = NULL, reason = NULL, reason_code = NULL, updated_at = ?
         WHERE id = ?`,
      )
      .run(
        fields.nonce,
        fields.deadline,
        JSON.stringify(fields.message),
        fields.signature,
        fields.digest,
        fields.calldata,
        fields.summary,
        Date.now(),
        id,
      );
  }

  /** The raw transaction carrying an intent, written before it is broadcast. */
  markIntentSending(id: number, txHash: string, rawTx: string): void {
    this.db
      .prepare(
        `UPDATE maint_intents SET status = 'sent', tx_hash = ?, raw_tx = ?, attempts = attempts + 1, updated_at = ?
         WHERE id = ?`,
      )
      .run(txHash, rawTx, Date.now(), id);
  }

  setIntentStatus(
    id: number,
    status: IntentStatus,
    extra: { blockNumber?: number | null; reason?: string | null; reasonCode?: string | null } = {},
  ): void {
    this.db
      .prepare(
        `UPDATE maint_intents SET status = ?, block_number = COALESCE(?, block_number), reason = ?, reason_code = ?,
           updated_at = ? WHERE id = ?`,
      )
      .run(status, extra.blockNumber ?? null, extra.reason ?? null, extra.reasonCode ?? null, Date.now(), id);
  }

  deleteIntent(id: number): void {
    this.db.prepare('DELETE FROM maint_intents WHERE id = ?').run(id);
  }
}

function orderFromRow(r: Record<string, unknown>): WorkOrderRow {
  const flag = (v: unknown) => (v === null || v === undefined ? null : v === 1);
  return {
    orderId: r.order_id as string,
    twinId: r.twin_id as string,
    elementKey: r.element_key as string,
    ruleId: (r.rule_id as string | null) ?? null,
    action: r.action as number,
    kind: r.kind as string,
    status: r.status as OrderStatusName,
    openedBy: r.opened_by as string,
    openedAt: r.opened_at as number,
    openedBlock: r.opened_block as number,
    openedTx: r.opened_tx as string,
    triggerValue: (r.trigger_value as string | null) ?? null,
    provider: (r.provider as string | null) ?? null,
    termsIndex: (r.terms_index as number | null) ?? null,
    asset: (r.asset as string | null) ?? null,
    penalty: (r.penalty as string | null) ?? null,
    respondBy: (r.respond_by as number | null) ?? null,
    resolveBy: (r.resolve_by as number | null) ?? null,
    escalationContact: (r.escalation_contact as string | null) ?? null,
    assignedBy: (r.assigned_by as string | null) ?? null,
    acceptedBlock: (r.accepted_block as number | null) ?? null,
    acceptedLate: flag(r.accepted_late),
    closedBy: (r.closed_by as string | null) ?? null,
    closedAt: (r.closed_at as number | null) ?? null,
    closedBlock: (r.closed_block as number | null) ?? null,
    closedTx: (r.closed_tx as string | null) ?? null,
    reportHash: (r.report_hash as string | null) ?? null,
    reportUri: (r.report_uri as string | null) ?? null,
    cancelReason: (r.cancel_reason as string | null) ?? null,
    responseEnforced: r.response_enforced === 1,
    resolutionEnforced: r.resolution_enforced === 1,
  };
}

function intentFromRow(r: Record<string, unknown>): MaintenanceIntentRow {
  return {
    id: r.id as number,
    kind: r.kind as 'completeWorkOrder',
    status: r.status as IntentStatus,
    storeTwinId: r.store_twin_id as string,
    chainTwinId: r.chain_twin_id as string,
    orderId: r.order_id as string,
    signer: r.signer as string,
    identityId: (r.identity_id as string | null) ?? null,
    nonce: r.nonce as number,
    deadline: r.deadline as number,
    message: JSON.parse(r.message as string) as Record<string, string>,
    signature: r.signature as string,
    digest: r.digest as string,
    calldata: r.calldata as string,
    summary: r.summary as string,
    details: JSON.parse(r.details as string) as MaintenanceIntentRow['details'],
    txHash: (r.tx_hash as string | null) ?? null,
    rawTx: (r.raw_tx as string | null) ?? null,
    blockNumber: (r.block_number as number | null) ?? null,
    reason: (r.reason as string | null) ?? null,
    reasonCode: (r.reason_code as string | null) ?? null,
    attempts: r.attempts as number,
    createdAt: r.created_at as number,
    updatedAt: r.updated_at as number,
  };
}
