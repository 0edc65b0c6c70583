// Work orders, rules, SLA terms and bonds in main: views built from the chain index's maintenance
// tables (judged at the chain's time), and the actions, each checked against the index's
// permissions before the vault signs: direct transactions for admins and providers, and the crew's
// completion as an EIP-712 intent signed now (offline too) and relayed by the completion queue.
import {
  Contract,
  getAddress,
  keccak256,
  toUtf8Bytes,
  ZeroAddress,
  type ContractTransactionResponse,
  type Signer,
} from 'ethers';
import type {
  BoardColumn,
  MaintenanceOverview,
  MaintenanceRule,
  MaintenanceTx,
  NewRule,
  PendingCompletion,
  SensorChannel,
  SlaClock,
  SlaTerms,
  SlaTermsInput,
  WorkOrder,
  WorkOrderStatus,
} from '../../shared/api/maintenance';
import { boardColumn, slaClocks } from '../../shared/api/maintenance';
import { toChainValue } from '../../shared/api/sensors';
import type { SyncRole } from '../../shared/api/sync';
import { canonicalJson } from '../../shared/canonical';
import { elementKeyOf } from '../../shared/fingerprint';
import { AppError } from '../../shared/result';
import type { Eip1193Provider, EmbeddedChain } from '../chain/embedded-chain';
import { createEthersProvider } from '../chain/ethers';
import { MaintenanceManager__factory, type MaintenanceManager } from '../chain/generated/types';
import type { EventBus } from '../services/events';
import type { Logger } from '../services/logger';
import type {
  MaintenanceIndex,
  MaintenanceIntentRow,
  RuleRow,
  SlaTermsRow,
  WorkOrderRow,
} from '../store/maintenance-index';
import type { TwinStore } from '../store/twin-store';
import { formatChainDate } from '../sync/permissions';
import { isUnreachable } from '../sync/relayer';
import { sendFromActiveIdentity } from '../sync/send-transaction';
import type { SyncService } from '../sync/sync-service';
import { SANDBOX_CREDIT } from '../sync/sandbox-maintenance';
import { revertData } from '../timeline/element-verification';
import type { Vault } from '../vault/vault';
import { CompletionQueue } from './completion-queue';
import {
  ACTION_WORDS,
  assetInfo,
  rememberToken,
  tokenKnown,
  BREACHES,
  bytes32Of,
  COMPARATORS,
  COMPLETE_WORK_ORDER_TYPES,
  decodeMaintenanceError,
  formatAmount,
  formatDuration,
  isEth,
  maintenanceAddressOf,
  maintenanceDomain,
  maintenanceInterface,
  orderNumber,
  RULE_ACTIONS,
  textOf,
  unitValue,
} from './contract';

export interface MaintenanceServiceOptions {
  sync: SyncService;
  store: TwinStore;
  vault: Vault;
  chain: {
    provider(): Eip1193Provider | null;
    status(): { state: string; mode: 'sandbox' | 'network' };
    readonly sandbox: EmbeddedChain | null;
  };
  bus: EventBus;
  logger: Logger;
  /** Validity of a crew's signed completion (default 30 days). */
  deadlineSeconds?: number;
  /** How often the completion queue looks for work when nothing wakes it (default 2 s). */
  relayIdleMs?: number;
}

const DEFAULT_DEADLINE = 30 * 24 * 3600;
/** The part of ERC-20 (EIP-20) a bond in a token needs. */
const ERC20_ABI = [
  'function symbol() view returns (string)',
  'function decimals() view returns (uint8)',
  'function balanceOf(address owner) view returns (uint256)',
  'function allowance(address owner, address spender) view returns (uint256)',
  'function approve(address spender, uint256 value) returns (bool)',
] as const;
const OPEN_STATUSES = ['open', 'assigned', 'accepted'] as const;

interface ElementInfo {
  globalId: string | null;
  name: string | null;
  ifcClass: string | null;
}

export class MaintenanceService {
  readonly queue: CompletionQueue;
  private readonly offIndex: () => void;
  private readonly offBus: () => void;
  private sending: Promise<unknown> = Promise.resolve();
  /** Tokens that answered no symbol and decimals: not asked again in this session. */
  private readonly unreadableTokens = new Set<string>();
  private closed = false;

  constructor(private readonly options: MaintenanceServiceOptions) {
    this.queue = new CompletionQueue({
      index: this.index,
      vault: options.vault,
      provider: () => this.onlineProvider(),
      target: () => this.target(),
      exclusive: (task) => this.exclusive(task),
      sign: (row, want) => this.signCompletion(row, want),
      onChange: (storeTwinId) => this.changed(storeTwinId),
      logger: options.logger,
      ...(options.relayIdleMs ? { idleMs: options.relayIdleMs } : {}),
    });
    this.offIndex = this.index.onChange((twins) => {
      if (twins.has('*')) return this.changed(null);
      for (const chainTwinId of twins) {
        const storeTwinId = options.sync.index.storeTwinOf(chainTwinId);
        if (storeTwinId) this.changed(storeTwinId);
      }
      this.queue.wake();
    });
    this.offBus = options.bus.subscribe((event) => {
      if (event === 'chain.statusChanged' || event === 'vault.changed') this.queue.wake();
    });
    this.queue.start();
  }

  get index(): MaintenanceIndex {
    const index = this.options.sync.index.extension<MaintenanceIndex>('maintenance');
    if (!index) throw new AppError('UNAVAILABLE', 'The chain index has no maintenance tables.');
    return index;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.offIndex();
    this.offBus();
    await this.queue.stop();
    await this.sending.catch(() => undefined);
  }

  // ---- views ---------------------------------------------------------------------------------

  async overview(twinId: string): Promise<MaintenanceOverview> {
    const { sync, store } = this.options;
    store.getTwin(twinId);
    const permissions = await sync.permissionsFor(twinId);
    const chainTwinId = permissions.chainTwinId;
    const contract = this.contractAddress();
    const label = this.labeller();
    const allowed = (role: SyncRole) => permissions.roles.find((r) => r.role === role)?.allowed ?? false;
    const chainTwin = chainTwinId ? sync.index.twin(chainTwinId) : null;
    const unavailable = !contract
      ? 'This chain has no maintenance contract deployed: work orders and SLAs need one.'
      : chainTwinId === null
        ? 'This twin is not registered on chain yet: work orders and SLAs live on chain.'
        : null;
    const counts: Record<BoardColumn, number> = { open: 0, accepted: 0, overdue: 0, done: 0 };
    const now = this.chainNow();
    let terms: SlaTerms | null = null;
    let bonds: MaintenanceOverview['bonds'] = [];
    let claimable: MaintenanceOverview['claimable'] = [];
    const credit = this.options.sync.deployment.get()?.manifest.contracts[SANDBOX_CREDIT]?.address ?? null;
    if (chainTwinId === null) {
      if (credit) await this.learnTokens([credit]);
    } else {
      for (const order of this.index.workOrders(chainTwinId)) counts[boardColumn(clockSource(order), now)]++;
      const all = this.index.slaTerms(chainTwinId);
      const bondRows = this.index.bonds(chainTwinId);
      const claimRows = this.index.claimable();
      // Tokens seen for the first time have their symbol and decimals read before they are shown.
      await this.learnTokens([
        ...(credit ? [credit] : []),
        ...all.map((t) => t.asset),
        ...bondRows.map((b) => b.asset),
        ...claimRows.map((c) => c.asset),
      ]);
      const current = all.at(-1);
      terms = current ? this.termsView(current, label) : null;
      bonds = bondRows.map((b) => ({
        provider: getAddress(b.provider),
        providerLabel: label(b.provider),
        asset: assetInfo(b.asset),
        balance: b.balance,
        openOrders: b.openOrders,
        coversPenalties:
          current && current.asset.toLowerCase() === b.asset.toLowerCase() && BigInt(current.penalty) > 0n
            ? Number(BigInt(b.balance) / BigInt(current.penalty))
            : null,
      }));
      const accounts = new Set(
        [chainTwin?.owner, permissions.account].filter((a): a is string => !!a).map((a) => a.toLowerCase()),
      );
      claimable = claimRows
        .filter((c) => accounts.has(c.account.toLowerCase()))
        .map((c) => ({
          account: getAddress(c.account),
          accountLabel: label(c.account),
          asset: assetInfo(c.asset),
          balance: c.balance,
        }));
    }
    return {
      twinId,
      chainTwinId,
      contract: contract ? getAddress(contract) : null,
      unavailable,
      chainTime: sync.chainTime(),
      sandbox: this.options.chain.status().mode === 'sandbox',
      sandboxCredit: credit ? assetInfo(getAddress(credit)) : null,
      owner: chainTwin ? getAddress(chainTwin.owner) : null,
      ownerLabel: chainTwin ? label(chainTwin.owner) : null,
      account: permissions.account,
      may: {
        administer: unavailable === null && allowed('ADMIN'),
        openOrders: unavailable === null && (allowed('ADMIN') || allowed('MAINTAINER')),
        complete: unavailable === null && allowed('MAINTAINER'),
      },
      terms,
      bonds,
      claimable,
      counts,
    };
  }

  async workOrders(request: {
    twinId: string;
    elementKey?: string;
    columns?: BoardColumn[];
    statuses?: WorkOrderStatus[];
    limit?: number;
  }): Promise<{ chainTime: number | null; orders: WorkOrder[]; truncated: boolean }> {
    const { sync, store } = this.options;
    store.getTwin(request.twinId);
    await sync.refreshChainTime();
    const chainTwinId = sync.index.chainTwinOf(request.twinId);
    if (chainTwinId === null) return { chainTime: sync.chainTime(), orders: [], truncated: false };
    const permissions = sync.permissions.forTwin(request.twinId);
    const now = this.chainNow();
    const label = this.labeller();
    const elements = this.elementLookup(request.twinId);
    const rules = new Map(this.index.rules(chainTwinId, { includeRemoved: true }).map((r) => [r.ruleId, r]));
    const enforcements = this.index.enforcements(chainTwinId);
    const pending = new Map<string, MaintenanceIntentRow>();
    for (const intent of this.index.intents({ storeTwinId: request.twinId })) {
      if (intent.status !== 'confirmed') pending.set(intent.orderId, intent);
    }
    const bondBalances = new Map(
      this.index
        .bonds(chainTwinId)
        .map((b) => [`${b.provider.toLowerCase()}/${b.asset.toLowerCase()}`, b.balance]),
    );
    const account = permissions.account?.toLowerCase() ?? null;
    const adminOrMaintainer = permissions.may.administer || permissions.may.logService;
    const columns = request.columns ? new Set(request.columns) : null;
    const all = this.index.workOrders(chainTwinId, {
      ...(request.elementKey ? { elementKey: request.elementKey } : {}),
      ...(request.statuses?.length ? { statuses: request.statuses } : {}),
    });
    const orders: WorkOrder[] = [];
    for (const row of all) {
      const column = boardColumn(clockSource(row), now);
      if (columns && !columns.has(column)) continue;
      const element = elements(row.elementKey);
      const rule = row.ruleId ? rules.get(row.ruleId) : undefined;
      const open = (OPEN_STATUSES as readonly string[]).includes(row.status);
      const clocks: SlaClock[] = slaClocks(clockSource(row), now).map((clock) => {
        const enforcement = enforcements.find(
          (e) => e.orderId === row.orderId && BREACHES[e.breach] === clock.breach,
        );
        return {
          ...clock,
          penaltyPaid: enforcement?.amount ?? null,
          escalatedTo: enforcement?.escalationContact ? getAddress(enforcement.escalationContact) : null,
          escalatedToLabel: enforcement?.escalationContact ? label(enforcement.escalationContact) : null,
          enforcedTx: enforcement?.txHash ?? null,
        };
      });
      const intent = pending.get(row.orderId);
      orders.push({
        orderId: row.orderId,
        number: orderNumber(row.orderId),
        twinId: request.twinId,
        chainTwinId,
        elementKey: row.elementKey,
        globalId: element.globalId,
        elementName: element.name,
        ifcClass: element.ifcClass,
        origin: row.ruleId ? 'rule' : 'manual',
        ruleId: row.ruleId,
        action: row.action === 1 ? 'parts' : 'workOrder',
        kind: textOf(row.kind),
        status: row.status,
        column,
        openedBy: getAddress(row.openedBy),
        openedByLabel: label(row.openedBy),
        openedAt: row.openedAt,
        openedTx: row.openedTx,
        trigger:
          rule && row.triggerValue !== null
            ? {
                metric: textOf(rule.metric),
                value: unitValue(row.triggerValue),
                comparator: rule.kind === 1 ? '>=' : (COMPARATORS[rule.comparator] ?? '>'),
                threshold: unitValue(rule.threshold),
              }
            : null,
        provider: row.provider ? getAddress(row.provider) : null,
        providerLabel: label(row.provider),
        asset: row.asset ? assetInfo(row.asset) : null,
        penalty: row.penalty,
        providerBond:
          row.provider && row.asset
            ? (bondBalances.get(`${row.provider.toLowerCase()}/${row.asset.toLowerCase()}`) ?? '0')
            : null,
        escalationContact: row.escalationContact ? getAddress(row.escalationContact) : null,
        escalationContactLabel: label(row.escalationContact),
        clocks,
        acceptedLate: row.acceptedLate,
        closedBy: row.closedBy ? getAddress(row.closedBy) : null,
        closedByLabel: label(row.closedBy),
        closedAt: row.closedAt,
        closedTx: row.closedTx,
        reportHash: row.reportHash,
        reportUri: row.reportUri,
        cancelReason: row.cancelReason ? textOf(row.cancelReason) : null,
        pendingCompletion: intent ? this.pendingView(intent, label) : null,
        may: {
          accept: row.status === 'assigned' && account !== null && row.provider?.toLowerCase() === account,
          complete: open && permissions.may.logService && !(intent && intent.status !== 'failed'),
          cancel: open && adminOrMaintainer,
          enforce: clocks.some((c) => c.enforceable),
        },
      });
    }
    const limit = request.limit ?? 500;
    return { chainTime: sync.chainTime(), orders: orders.slice(0, limit), truncated: orders.length > limit };
  }

  async rules(request: {
    twinId: string;
    elementKey?: string;
    includeRemoved?: boolean;
  }): Promise<{ rules: MaintenanceRule[]; sensors: SensorChannel[] }> {
    const { sync, store } = this.options;
    store.getTwin(request.twinId);
    const chainTwinId = sync.index.chainTwinOf(request.twinId);
    if (chainTwinId === null) return { rules: [], sensors: [] };
    const elements = this.elementLookup(request.twinId);
    const label = this.labeller();
    const rules = this.index
      .rules(chainTwinId, {
        ...(request.elementKey ? { elementKey: request.elementKey } : {}),
        ...(request.includeRemoved ? { includeRemoved: true } : {}),
      })
      .map((r) => this.ruleView(r, elements(r.elementKey)));
    const sensors = this.index.sensors(chainTwinId, request.elementKey).map((s) => {
      const element = elements(s.elementKey);
      return {
        elementKey: s.elementKey,
        globalId: element.globalId,
        elementName: element.name,
        metric: textOf(s.metric),
        sensor: getAddress(s.sensor),
        sensorLabel: label(s.sensor),
        minValue: unitValue(s.minValue),
        maxValue: unitValue(s.maxValue),
        active: s.active,
      };
    });
    return { rules, sensors };
  }

  // ---- admin actions -----------------------------------------------------------------------------

  async addRule(request: NewRule): Promise<MaintenanceTx> {
    const { chainTwinId, elementKey, label } = await this.prepareAdmin(request.twinId, request.element);
    const metric = bytes32Of(request.metric, 'metric name');
    const action = RULE_ACTIONS.indexOf(request.action);
    const ref = request.actionRef ? bytes32Of(request.actionRef, 'work kind') : `0x${'0'.repeat(64)}`;
    const summary =
      request.kind === 'usage'
        ? `Rule added on ${label}: ${request.metric} used ${request.threshold} since ${request.baseline ?? 0} ${ACTION_WORDS[request.action]}`
        : `Rule added on ${label}: ${request.metric} ${request.comparator} ${request.threshold} ${ACTION_WORDS[request.action]}`;
    return this.send(request.twinId, summary, (c) =>
      request.kind === 'usage'
        ? c.addUsageRule(
            BigInt(chainTwinId),
            elementKey,
            metric,
            toChainValue(request.threshold),
            toChainValue(request.baseline ?? 0),
            action,
            ref,
          )
        : c.addConditionRule(
            BigInt(chainTwinId),
            elementKey,
            metric,
            COMPARATORS.indexOf(request.comparator!),
            toChainValue(request.threshold),
            action,
            ref,
          ),
    );
  }

  /** Rules are immutable on chain: the old one is removed and its replacement added. */
  async editRule(request: NewRule & { ruleId: string }): Promise<MaintenanceTx> {
    const existing = this.requireRule(request.twinId, request.ruleId);
    if (!existing.active)
      throw new AppError('CONFLICT', `Rule ${orderNumber(request.ruleId)} was already removed.`);
    // The replacement first: if the chain refuses it, the old rule still watches the channel.
    const { ruleId: _old, ...rule } = request;
    void _old;
    const added = await this.addRule(rule);
    try {
      await this.removeRule({ twinId: request.twinId, ruleId: request.ruleId });
    } catch (error) {
      const reason = error instanceof AppError ? error.message : String(error);
      throw new AppError(
        'CONFLICT',
        `The new rule was added, but rule ${orderNumber(request.ruleId)} could not be removed: ${reason} Remove it by hand.`,
      );
    }
    return { ...added, summary: `Rule ${orderNumber(request.ruleId)} replaced. ${added.summary}` };
  }

  async removeRule(request: { twinId: string; ruleId: string }): Promise<MaintenanceTx> {
    const rule = this.requireRule(request.twinId, request.ruleId);
    await this.prepareAdmin(request.twinId);
    if (!rule.active)
      throw new AppError('CONFLICT', `Rule ${orderNumber(request.ruleId)} was already removed.`);
    return this.send(
      request.twinId,
      `Rule ${orderNumber(request.ruleId)} removed (${textOf(rule.metric)})`,
      (c) => c.removeRule(BigInt(request.ruleId)),
    );
  }

  async registerSensor(request: {
    twinId: string;
    element: { globalId: string } | { elementKey: string };
    metric: string;
    sensor: string;
    minValue: number;
    maxValue: number;
  }): Promise<MaintenanceTx> {
    const { chainTwinId, elementKey, label } = await this.prepareAdmin(request.twinId, request.element);
    const sensor = getAddress(request.sensor);
    return this.send(
      request.twinId,
      `Sensor ${this.labeller()(sensor) ?? sensor} registered for ${request.metric} on ${label}`,
      (c) =>
        c.registerSensor(
          BigInt(chainTwinId),
          elementKey,
          bytes32Of(request.metric, 'metric name'),
          sensor,
          toChainValue(request.minValue),
          toChainValue(request.maxValue),
        ),
    );
  }

  async setSlaTerms(request: SlaTermsInput): Promise<MaintenanceTx> {
    const { chainTwinId } = await this.prepareAdmin(request.twinId);
    const asset = request.asset ? getAddress(request.asset) : ZeroAddress;
    const provider = request.provider ? getAddress(request.provider) : ZeroAddress;
    const label = this.labeller();
    if (!isEth(asset)) await this.tokenInfo(asset);
    return this.send(
      request.twinId,
      `SLA terms set: respond within ${formatDuration(request.responseSeconds)}, resolve within ${formatDuration(request.resolutionSeconds)}, ${formatAmount(request.penalty, asset)} per breach` +
        (request.provider ? `, provider ${label(provider) ?? provider}` : ''),
      (c) =>
        c.setSlaTerms(BigInt(chainTwinId), {
          provider,
          asset,
          penalty: BigInt(request.penalty),
          responseTime: request.responseSeconds,
          resolutionTime: request.resolutionSeconds,
          escalationContact: getAddress(request.escalationContact),
        }),
    );
  }

  // ---- provider actions --------------------------------------------------------------------------

  /**
   * Posts (or tops up) the active identity's bond for the twin: in ETH, or in an ERC-20, whose
   * balance is checked first and which is approved for exactly the amount when its allowance falls
   * short (a transaction of its own, confirmed before the bond is posted).
   */
  async postBond(request: { twinId: string; amount: string; asset?: string }): Promise<MaintenanceTx> {
    const chainTwinId = this.requireReady(request.twinId);
    const asset = request.asset ? getAddress(request.asset) : ZeroAddress;
    const amount = BigInt(request.amount);
    if (isEth(asset)) {
      return this.send(request.twinId, `Bond topped up by ${formatAmount(amount, asset)}`, (c) =>
        c.postBond(BigInt(chainTwinId), asset, amount, { value: amount }),
      );
    }
    const { symbol } = await this.tokenInfo(asset);
    return this.send(
      request.twinId,
      `Bond topped up by ${formatAmount(amount, asset)}`,
      async (c, signer) => {
        const token = new Contract(asset, ERC20_ABI, signer);
        const account = await signer.getAddress();
        const spender = await c.getAddress();
        const balance = (await token.getFunction('balanceOf')(account)) as bigint;
        if (balance < amount) {
          throw new AppError(
            'BAD_REQUEST',
            `You hold ${formatAmount(balance, asset)}: a bond of ${formatAmount(amount, asset)} needs more ${symbol}.`,
          );
        }
        const allowance = (await token.getFunction('allowance')(account, spender)) as bigint;
        if (allowance < amount) {
          const approval = (await token.getFunction('approve')(
            spender,
            amount,
          )) as ContractTransactionResponse;
          const approved = await approval.wait();
          if (!approved || approved.status !== 1)
            throw new AppError('CONFLICT', `The ${symbol} token did not approve the bond's transfer.`);
        }
        return c.postBond(BigInt(chainTwinId), asset, amount);
      },
    );
  }

  async withdrawBond(request: { twinId: string; amount: string; asset?: string }): Promise<MaintenanceTx> {
    const chainTwinId = this.requireReady(request.twinId);
    const asset = request.asset ? getAddress(request.asset) : ZeroAddress;
    const account = this.activeAddress();
    const bond = this.index
      .bonds(chainTwinId)
      .find(
        (b) =>
          b.provider.toLowerCase() === account.toLowerCase() && b.asset.toLowerCase() === asset.toLowerCase(),
      );
    const amount = BigInt(request.amount);
    if (!bond || BigInt(bond.balance) < amount) {
      throw new AppError(
        'BAD_REQUEST',
        `Your bond for this twin holds ${formatAmount(bond?.balance ?? '0', asset)}: ${formatAmount(amount, asset)} cannot be withdrawn.`,
      );
    }
    if (bond.openOrders > 0) {
      throw new AppError(
        'CONFLICT',
        `Your bond cannot be withdrawn while ${bond.openOrders} open work order${bond.openOrders === 1 ? '' : 's'} depend${bond.openOrders === 1 ? 's' : ''} on it.`,
      );
    }
    return this.send(request.twinId, `Bond withdrawn: ${formatAmount(amount, asset)}`, (c) =>
      c.withdrawBond(BigInt(chainTwinId), asset, amount),
    );
  }

  async withdrawClaimable(request: { twinId: string; asset?: string }): Promise<MaintenanceTx> {
    this.requireReady(request.twinId);
    const asset = request.asset ? getAddress(request.asset) : ZeroAddress;
    const account = this.activeAddress();
    const balance = this.index
      .claimable(account)
      .find((c) => c.asset.toLowerCase() === asset.toLowerCase())?.balance;
    if (!balance || BigInt(balance) === 0n)
      throw new AppError('CONFLICT', 'You have no penalties to withdraw in this asset.');
    return this.send(request.twinId, `Penalties withdrawn: ${formatAmount(balance, asset)}`, (c) =>
      c.withdraw(asset),
    );
  }

  // ---- work orders -------------------------------------------------------------------------------

  async openWorkOrder(request: {
    twinId: string;
    element: { globalId: string } | { elementKey: string };
    kind: string;
  }): Promise<MaintenanceTx> {
    const chainTwinId = this.requireReady(request.twinId);
    await this.assertAdminOrMaintainer(request.twinId);
    const { elementKey, label } = this.resolveElement(request.twinId, request.element);
    const kind = bytes32Of(request.kind, 'work kind');
    return this.send(request.twinId, `Work order opened on ${label}: ${request.kind}`, (c) =>
      c.openWorkOrder(BigInt(chainTwinId), elementKey, kind),
    );
  }

  async acceptWorkOrder(request: { twinId: string; orderId: string }): Promise<MaintenanceTx> {
    const order = this.requireOrder(request.twinId, request.orderId);
    const account = this.activeAddress();
    if (order.status !== 'assigned') {
      throw new AppError(
        'CONFLICT',
        `Work order ${orderNumber(order.orderId)} is ${order.status}: only an assigned order is accepted.`,
      );
    }
    if (order.provider?.toLowerCase() !== account.toLowerCase()) {
      const label = this.labeller();
      throw new AppError(
        'FORBIDDEN',
        `Only the assigned provider (${label(order.provider) ?? order.provider}) accepts work order ${orderNumber(order.orderId)}.`,
      );
    }
    const late = order.respondBy !== null && this.chainNow() > order.respondBy;
    return this.send(
      request.twinId,
      `Work order ${orderNumber(order.orderId)} accepted${late ? ' (after its response deadline)' : ''}`,
      (c) => c.acceptWorkOrder(BigInt(order.orderId)),
    );
  }

  async cancelWorkOrder(request: {
    twinId: string;
    orderId: string;
    reason: string;
  }): Promise<MaintenanceTx> {
    const order = this.requireOrder(request.twinId, request.orderId);
    await this.assertAdminOrMaintainer(request.twinId);
    if (!(OPEN_STATUSES as readonly string[]).includes(order.status)) {
      throw new AppError('CONFLICT', `Work order ${orderNumber(order.orderId)} is already ${order.status}.`);
    }
    const reason = bytes32Of(request.reason, 'reason');
    return this.send(
      request.twinId,
      `Work order ${orderNumber(order.orderId)} cancelled: ${request.reason}`,
      (c) => c.cancelWorkOrder(BigInt(order.orderId), reason),
    );
  }

  async enforce(request: {
    twinId: string;
    orderId: string;
    breach: 'response' | 'resolution';
  }): Promise<MaintenanceTx> {
    const order = this.requireOrder(request.twinId, request.orderId);
    await this.options.sync.refreshChainTime();
    const now = this.chainNow();
    const clock = slaClocks(clockSource(order), now).find((c) => c.breach === request.breach);
    const number = orderNumber(order.orderId);
    if (!clock)
      throw new AppError('CONFLICT', `Work order ${number} has no SLA clock yet: it is not assigned.`);
    if (clock.enforced)
      throw new AppError(
        'CONFLICT',
        `The ${request.breach} breach of work order ${number} was already penalised.`,
      );
    if (!clock.enforceable) {
      throw new AppError(
        'CONFLICT',
        clock.remaining >= 0
          ? `The ${request.breach} deadline of work order ${number} passes on ${formatChainDate(clock.deadline)} (in ${formatDuration(clock.remaining)}): nothing to enforce yet.`
          : `Work order ${number} met its ${request.breach} deadline or is closed: nothing to enforce.`,
      );
    }
    return this.send(
      request.twinId,
      `SLA ${request.breach} breach of work order ${number} enforced: up to ${formatAmount(order.penalty ?? '0', order.asset)} moved from the provider's bond`,
      (c) => c.enforce(BigInt(order.orderId), BREACHES.indexOf(request.breach)),
    );
  }

  /** Signs the crew's completion (offline too) and queues it durably; the queue relays it. */
  async completeWorkOrder(request: {
    twinId: string;
    orderId: string;
    notes: string;
    attachments?: { name: string; sha256: string }[];
    identityId?: string;
  }): Promise<PendingCompletion> {
    const { sync, vault } = this.options;
    const order = this.requireOrder(request.twinId, request.orderId);
    const target = this.target();
    if (!target) {
      throw new AppError(
        'UNAVAILABLE',
        'This chain has no maintenance contract deployed: there is nothing to complete.',
      );
    }
    const existing = this.index
      .intents({ orderId: order.orderId })
      .find((i) => i.status === 'queued' || i.status === 'sent');
    if (existing) return this.pendingView(existing, this.labeller());
    if (!(OPEN_STATUSES as readonly string[]).includes(order.status)) {
      throw new AppError('CONFLICT', `Work order ${orderNumber(order.orderId)} is already ${order.status}.`);
    }
    const identity = request.identityId
      ? vault.list().find((i) => i.id === request.identityId)
      : vault.activeIdentity();
    if (!identity) throw new AppError('NOT_FOUND', 'No identity to sign with: create, import or choose one.');
    const signer = getAddress(identity.address);
    await sync.assertAllowed(request.twinId, 'MAINTAINER', { address: signer, label: identity.label });
    const element = this.elementLookup(request.twinId)(order.elementKey);
    const report = {
      orderId: order.orderId,
      elementKey: order.elementKey,
      globalId: element.globalId,
      notes: request.notes,
      attachments: request.attachments ?? [],
    };
    const reportHash = keccak256(toUtf8Bytes(canonicalJson(report)));
    const chainTwinId = order.twinId;
    const nonce = await this.queue.nextNonce(signer, chainTwinId);
    const time = Math.max(sync.chainTime() ?? 0, Math.floor(Date.now() / 1000));
    const message: Record<string, string> = {
      signer,
      twinId: chainTwinId,
      orderId: order.orderId,
      reportHash,
      uri: `twinledger:report/keccak256/${reportHash.slice(2)}`,
      nonce: String(nonce),
      deadline: String(time + this.deadlineSeconds),
    };
    const signed = await this.signMessage(message, identity.id, target);
    const row = this.index.insertIntent({
      kind: 'completeWorkOrder',
      storeTwinId: request.twinId,
      chainTwinId,
      orderId: order.orderId,
      signer,
      identityId: identity.id,
      nonce,
      deadline: Number(message.deadline),
      message,
      signature: signed.signature,
      digest: signed.digest,
      calldata: signed.calldata,
      summary: `Complete work order ${orderNumber(order.orderId)} on ${element.name ?? element.globalId ?? order.elementKey}\n${signed.summary}`,
      details: { notes: request.notes, attachments: request.attachments ?? [] },
    });
    this.changed(request.twinId);
    this.queue.wake();
    return this.pendingView(row, this.labeller());
  }

  async retryCompletion(intentId: number): Promise<PendingCompletion> {
    const row = this.index.intent(intentId);
    if (!row) throw new AppError('NOT_FOUND', `There is no pending completion ${intentId}.`);
    if (row.status !== 'failed')
      throw new AppError(
        'CONFLICT',
        `Completion ${intentId} is ${row.status}: only a failed one is sent again.`,
      );
    const order = this.index.workOrder(row.orderId);
    if (order && !(OPEN_STATUSES as readonly string[]).includes(order.status)) {
      throw new AppError('CONFLICT', `Work order ${orderNumber(row.orderId)} is already ${order.status}.`);
    }
    const nonce = await this.queue.nextNonce(row.signer, row.chainTwinId, row.id);
    await this.signCompletion(row, { nonce, chainTime: this.chainNow() });
    this.changed(row.storeTwinId);
    this.queue.wake();
    return this.pendingView(this.index.intent(intentId)!, this.labeller());
  }

  discardCompletion(intentId: number): { discarded: boolean } {
    const row = this.index.intent(intentId);
    if (!row) throw new AppError('NOT_FOUND', `There is no pending completion ${intentId}.`);
    if (row.status !== 'failed') {
      throw new AppError(
        'CONFLICT',
        `Completion ${intentId} is ${row.status}: only a failed one can be discarded.`,
      );
    }
    this.index.deleteIntent(intentId);
    this.changed(row.storeTwinId);
    return { discarded: true };
  }

  /** Sandbox only: moves the chain's clock forward and mines a block at the new time. */
  async advanceSandboxClock(seconds: number): Promise<{ chainTime: number; blockNumber: number }> {
    const sandbox = this.options.chain.sandbox;
    if (this.options.chain.status().mode !== 'sandbox' || !sandbox) {
      throw new AppError(
        'CONFLICT',
        "Only the sandbox chain's clock can be moved; a network chain keeps real time.",
      );
    }
    return this.exclusive(async () => {
      await sandbox.request({ method: 'evm_increaseTime', params: [seconds] });
      await sandbox.request({ method: 'evm_mine', params: [] });
      const block = (await sandbox.request({
        method: 'eth_getBlockByNumber',
        params: ['latest', false],
      })) as {
        number: string;
        timestamp: string;
      };
      await this.options.sync.caughtUp(10_000).catch(() => undefined);
      await this.options.sync.refreshChainTime();
      this.changed(null);
      return { chainTime: Number(block.timestamp), blockNumber: Number(block.number) };
    });
  }

  // ---- signing the crew's completion -------------------------------------------------------------

  private async signMessage(
    message: Record<string, string>,
    identityId: string | undefined,
    target: { chainId: number; contract: string },
  ): Promise<{ signature: string; digest: string; calldata: string; summary: string }> {
    const typed = {
      signer: message.signer!,
      twinId: BigInt(message.twinId!),
      orderId: BigInt(message.orderId!),
      reportHash: message.reportHash!,
      uri: message.uri!,
      nonce: BigInt(message.nonce!),
      deadline: BigInt(message.deadline!),
    };
    const signed = await this.options.vault.signTypedData({
      ...(identityId ? { identityId } : {}),
      domain: maintenanceDomain(target.chainId, target.contract),
      types: COMPLETE_WORK_ORDER_TYPES,
      message: typed,
    });
    if (getAddress(signed.signer) !== getAddress(typed.signer)) {
      throw new AppError('FORBIDDEN', 'The identity that signed is not the one named in the completion.');
    }
    return {
      signature: signed.signature,
      digest: signed.digest.toLowerCase(),
      calldata: maintenanceInterface.encodeFunctionData('completeWorkOrderBySig', [typed, signed.signature]),
      summary: signed.summary.text,
    };
  }

  /** Signs a queued completion again with a new nonce and deadline (the queue's and retry's). */
  private async signCompletion(
    row: MaintenanceIntentRow,
    want: { nonce: number; chainTime: number },
  ): Promise<void> {
    const target = this.target();
    if (!target) throw new AppError('UNAVAILABLE', 'The maintenance contract is not known on this chain.');
    const time = Math.max(want.chainTime, Math.floor(Date.now() / 1000));
    const message = {
      ...row.message,
      nonce: String(want.nonce),
      deadline: String(time + this.deadlineSeconds),
    };
    const signed = await this.signMessage(message, row.identityId ?? undefined, target);
    this.index.resignIntent(row.id, {
      nonce: want.nonce,
      deadline: Number(message.deadline),
      message,
      signature: signed.signature,
      digest: signed.digest,
      calldata: signed.calldata,
      summary: `${row.summary.split('\n')[0]}\n${signed.summary}`,
    });
  }

  // ---- helpers -----------------------------------------------------------------------------------

  private get deadlineSeconds(): number {
    return this.options.deadlineSeconds ?? DEFAULT_DEADLINE;
  }

  private contractAddress(): string | null {
    return maintenanceAddressOf(this.options.sync.deployment.get()?.manifest);
  }

  private target(): { chainId: number; contract: string } | null {
    const deployment = this.options.sync.deployment.get();
    const contract = maintenanceAddressOf(deployment?.manifest);
    return deployment && contract ? { chainId: deployment.chainId, contract: getAddress(contract) } : null;
  }

  private onlineProvider(): Eip1193Provider | null {
    return this.options.chain.status().state === 'ready' ? this.options.chain.provider() : null;
  }

  /** The chain's time now (the wall clock when it was never read). */
  private chainNow(): number {
    return this.options.sync.chainTime() ?? Math.floor(Date.now() / 1000);
  }

  private labeller(): (address: string | null | undefined) => string | null {
    const labels = new Map(
      this.options.vault
        .list()
        .map((i) => [i.address.toLowerCase(), i.label.replace(/ \(public demo key\)$/, '')]),
    );
    return (address) => (address ? (labels.get(address.toLowerCase()) ?? null) : null);
  }

  private activeAddress(): string {
    const active = this.options.vault.activeIdentity();
    if (!active)
      throw new AppError('NOT_FOUND', 'No active identity: create, import or choose one in the vault.');
    return getAddress(active.address);
  }

  /** Element names of a twin's head version, looked up once per key. */
  private elementLookup(twinId: string): (elementKey: string) => ElementInfo {
    const cache = new Map<string, ElementInfo>();
    return (elementKey) => {
      const key = elementKey.toLowerCase();
      let info = cache.get(key);
      if (!info) {
        try {
          const element = this.options.store.getElement(twinId, undefined, key);
          info = { globalId: element.globalId, name: element.name, ifcClass: element.ifcClass };
        } catch {
          info = { globalId: null, name: null, ifcClass: null };
        }
        cache.set(key, info);
      }
      return info;
    };
  }

  private resolveElement(
    twinId: string,
    element: { globalId: string } | { elementKey: string } | undefined,
  ): { elementKey: string; label: string } {
    if (!element) return { elementKey: '', label: '' };
    const elementKey =
      'elementKey' in element ? element.elementKey.toLowerCase() : elementKeyOf(element.globalId);
    const info = this.elementLookup(twinId)(elementKey);
    if (info.globalId === null) {
      throw new AppError(
        'NOT_FOUND',
        `This twin has no element ${'globalId' in element ? element.globalId : elementKey}.`,
      );
    }
    return { elementKey, label: info.name ? `${info.name} (${info.globalId})` : info.globalId };
  }

  private termsView(t: SlaTermsRow, label: (a: string | null) => string | null): SlaTerms {
    const provider = t.provider.toLowerCase() === ZeroAddress.toLowerCase() ? null : getAddress(t.provider);
    return {
      termsIndex: t.termsIndex,
      provider,
      providerLabel: label(provider),
      asset: assetInfo(t.asset),
      penalty: t.penalty,
      responseSeconds: t.responseTime,
      resolutionSeconds: t.resolutionTime,
      escalationContact: getAddress(t.escalationContact),
      escalationContactLabel: label(t.escalationContact),
      blockNumber: t.blockNumber,
      txHash: t.txHash,
    };
  }

  private ruleView(r: RuleRow, element: ElementInfo): MaintenanceRule {
    return {
      ruleId: r.ruleId,
      elementKey: r.elementKey,
      globalId: element.globalId,
      elementName: element.name,
      metric: textOf(r.metric),
      kind: r.kind === 1 ? 'usage' : 'condition',
      comparator: r.kind === 1 ? '>=' : (COMPARATORS[r.comparator] ?? '>'),
      threshold: unitValue(r.threshold),
      baseline: unitValue(r.usageBaseline),
      action: RULE_ACTIONS[r.action] ?? 'alert',
      actionRef: textOf(r.actionRef),
      openOrderId: r.openOrderId,
      active: r.active,
      blockNumber: r.blockNumber,
      txHash: r.txHash,
    };
  }

  private pendingView(
    row: MaintenanceIntentRow,
    label: (a: string | null) => string | null,
  ): PendingCompletion {
    return {
      intentId: row.id,
      status: row.status,
      signer: getAddress(row.signer),
      signerLabel: label(row.signer),
      reportHash: row.message.reportHash!,
      notes: row.details.notes,
      reason: row.reason,
      txHash: row.txHash,
      createdAt: row.createdAt,
    };
  }

  /** The chain twin when maintenance can act on it now (contract known, twin registered). */
  private requireReady(twinId: string): string {
    this.options.store.getTwin(twinId);
    if (!this.contractAddress()) {
      throw new AppError(
        'UNAVAILABLE',
        'This chain has no maintenance contract deployed: work orders and SLAs need one.',
      );
    }
    const chainTwinId = this.options.sync.index.chainTwinOf(twinId);
    if (chainTwinId === null) {
      throw new AppError(
        'CONFLICT',
        'This twin is not registered on chain yet: work orders and SLAs live on chain.',
      );
    }
    return chainTwinId;
  }

  private async prepareAdmin(
    twinId: string,
    element?: { globalId: string } | { elementKey: string },
  ): Promise<{ chainTwinId: string; elementKey: string; label: string }> {
    const chainTwinId = this.requireReady(twinId);
    const resolved = this.resolveElement(twinId, element);
    await this.options.sync.assertAllowed(twinId, 'ADMIN');
    return { chainTwinId, ...resolved };
  }

  private async assertAdminOrMaintainer(twinId: string): Promise<void> {
    const { sync } = this.options;
    await sync.refreshChainTime();
    const permissions = sync.permissions.forTwin(twinId);
    if (permissions.may.administer || permissions.may.logService) return;
    const maintainer = permissions.roles.find((r) => r.role === 'MAINTAINER');
    throw new AppError(
      'FORBIDDEN',
      `Work orders are opened and cancelled by the twin's admins and maintainers. ${maintainer?.reason ?? ''}`.trim(),
    );
  }

  private requireOrder(twinId: string, orderId: string): WorkOrderRow {
    const chainTwinId = this.requireReady(twinId);
    const order = this.index.workOrder(orderId);
    if (!order || order.twinId !== chainTwinId) {
      throw new AppError('NOT_FOUND', `This twin has no work order ${orderNumber(orderId)} (id ${orderId}).`);
    }
    return order;
  }

  private requireRule(twinId: string, ruleId: string): RuleRow {
    const chainTwinId = this.requireReady(twinId);
    const rule = this.index.rule(ruleId);
    if (!rule || rule.twinId !== chainTwinId) {
      throw new AppError('NOT_FOUND', `This twin has no rule ${orderNumber(ruleId)} (id ${ruleId}).`);
    }
    return rule;
  }

  /** An ERC-20's symbol and decimals, read from the token once (a BAD_REQUEST if it is none). */
  private async tokenInfo(asset: string): Promise<{ symbol: string; decimals: number }> {
    if (tokenKnown(asset)) return assetInfo(asset);
    const provider = this.onlineProvider();
    const deployment = this.options.sync.deployment.get();
    if (!provider || !deployment)
      throw new AppError(
        'UNAVAILABLE',
        'The chain is offline: the token cannot be read. Try again once it is back.',
      );
    const ethersProvider = createEthersProvider(provider, deployment.chainId);
    try {
      const token = new Contract(asset, ERC20_ABI, ethersProvider);
      const [symbol, decimals] = await Promise.all([
        token.getFunction('symbol')() as Promise<string>,
        token.getFunction('decimals')() as Promise<bigint>,
      ]);
      const info = { symbol: String(symbol), decimals: Number(decimals) };
      rememberToken(asset, info);
      return info;
    } catch (error) {
      if (isUnreachable(error))
        throw new AppError('UNAVAILABLE', 'The chain could not be reached: the token cannot be read.');
      throw new AppError(
        'BAD_REQUEST',
        `${asset} is not an ERC-20 token on this chain (it answers no symbol and decimals).`,
      );
    } finally {
      ethersProvider.destroy();
    }
  }

  /** Reads the symbols and decimals of tokens seen in the index for the first time (when online). */
  private async learnTokens(assets: string[]): Promise<void> {
    for (const asset of new Set(assets.map((a) => a.toLowerCase()))) {
      if (isEth(asset) || tokenKnown(asset) || this.unreadableTokens.has(asset) || !this.onlineProvider())
        continue;
      await this.tokenInfo(getAddress(asset)).catch((error: unknown) => {
        if (error instanceof AppError && error.code === 'BAD_REQUEST') this.unreadableTokens.add(asset);
      });
    }
  }

  /** Sends one transaction from the active identity, waits for it and for the index to see it. */
  private send(
    storeTwinId: string,
    summary: string,
    action: (contract: MaintenanceManager, signer: Signer) => Promise<ContractTransactionResponse>,
  ): Promise<MaintenanceTx> {
    return this.exclusive(async () => {
      const { sync, vault } = this.options;
      const provider = this.onlineProvider();
      const deployment = sync.deployment.get();
      const target = this.target();
      if (!provider || !deployment || !target) {
        throw new AppError(
          'UNAVAILABLE',
          'The chain is offline: this needs a transaction. Try again once it is back (a crew can still complete work orders offline).',
        );
      }
      const receipt = await sendFromActiveIdentity({
        sync,
        vault,
        provider,
        chainId: deployment.chainId,
        connect: (signer) => MaintenanceManager__factory.connect(target.contract, signer),
        send: action,
        explain: maintenanceError,
        revertedWithoutReason: 'The maintenance contract reverted the transaction without a reason.',
      });
      let orderId: string | null = null;
      let ruleId: string | null = null;
      for (const log of receipt.logs) {
        if (log.address.toLowerCase() !== target.contract.toLowerCase()) continue;
        const parsed = maintenanceInterface.parseLog(log);
        if (parsed?.name === 'WorkOrderOpened') orderId = String(parsed.args.orderId);
        if (parsed?.name === 'RuleAdded') ruleId = String(parsed.args.ruleId);
      }
      this.changed(storeTwinId);
      return { txHash: receipt.hash, blockNumber: receipt.blockNumber, summary, orderId, ruleId };
    });
  }

  /** One transaction at a time from this service: nonces stay in order. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.sending.then(task, task);
    this.sending = run.catch(() => undefined);
    return run;
  }

  private changed(storeTwinId: string | null): void {
    if (this.closed) return;
    this.options.bus.emit('maintenance.changed', { twinId: storeTwinId });
  }
}

function clockSource(row: WorkOrderRow) {
  return {
    status: row.status,
    respondBy: row.respondBy,
    resolveBy: row.resolveBy,
    acceptedLate: row.acceptedLate,
    responseEnforced: row.responseEnforced,
    resolutionEnforced: row.resolutionEnforced,
  };
}

/** A failed maintenance transaction as an AppError in words. */
export function maintenanceError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isUnreachable(error)) {
    return new AppError(
      'UNAVAILABLE',
      'The chain could not be reached: nothing was changed. Try again once it is back.',
    );
  }
  const data = revertData(error) ?? revertData((error as { error?: unknown }).error);
  const failure = decodeMaintenanceError(data);
  if (failure)
    return new AppError(failure.appCode, `The maintenance contract refused it: ${failure.reason}.`);
  const e = error as { shortMessage?: unknown; message?: unknown; code?: unknown };
  if (e.code === 'INSUFFICIENT_FUNDS' || /insufficient funds/i.test(String(e.message)))
    return new AppError('BAD_REQUEST', 'Your account cannot pay for this (amount and gas).');
  return new AppError('CONFLICT', `The transaction failed: ${String(e.shortMessage ?? e.message)}`);
}
