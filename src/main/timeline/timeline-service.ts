// The maintenance timeline in main: a registry of providers, each answering the entries of some
// kinds for a twin (service logs, versions and role changes here; work orders, sensor alerts and SLA
// events from the maintenance capability, which registers its own provider), merged newest first
// and filtered by kind, element and date. It tells the UI when a twin's timeline may have changed.
import { decodeBytes32String, getAddress } from 'ethers';
import type { TimelineEntry, TimelineKind, TimelineQuery } from '../../shared/api/timeline';
import { AppError } from '../../shared/result';
import type { Eip1193Provider } from '../chain/embedded-chain';
import type { EventBus } from '../services/events';
import type { ChainIndex } from '../store/chain-index';
import type { OutboxStore } from '../store/outbox';
import { TimelineQueries } from '../store/timeline-queries';
import type { TwinStore } from '../store/twin-store';

/** What a provider is told about the request. */
export interface TimelineContext {
  storeTwinId: string;
  /** The twin's chain token id, or null when it is not registered on chain. */
  chainTwinId: string | null;
  query: TimelineQuery;
  /** The kinds asked for that this provider answers. */
  kinds: readonly TimelineKind[];
  /** The vault's label of an address ("Demo maintenance crew"), or null. */
  labelOf(address: string | null): string | null;
  /** Times of blocks (Unix seconds): indexed ones, else asked of the chain when it answers. */
  blockTimes(numbers: readonly number[]): Promise<Map<number, number>>;
}

/**
 * A source of timeline entries. Providers may pre-filter by the query; the service filters again
 * (kind, element, dates), sorts and limits, so a provider may also return everything it knows.
 */
export interface TimelineProvider {
  /** For logs and errors ("registry", "maintenance"). */
  readonly name: string;
  readonly kinds: readonly TimelineKind[];
  entries(context: TimelineContext): TimelineEntry[] | Promise<TimelineEntry[]>;
}

export interface TimelineServiceOptions {
  store: TwinStore;
  index: ChainIndex;
  /** The outbox's items (pending work); null when there is no outbox. */
  outbox: () => OutboxStore | null;
  bus: EventBus;
  /** The chain now, to read block times the index did not keep. */
  provider: () => Eip1193Provider | null;
  /** Address → label, from the vault. */
  labels: () => Map<string, string>;
  logError?: (message: string, error: unknown) => void;
}

const DEFAULT_LIMIT = 500;
const CHANGED_THROTTLE_MS = 250;

export class TimelineService {
  private readonly providers: TimelineProvider[] = [];
  readonly queries: TimelineQueries;
  private readonly blockTimeCache = new Map<number, number>();
  private pendingChange: Set<string | null> = new Set();
  private changeTimer: NodeJS.Timeout | null = null;
  private lastCursor: number | null = null;
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(private readonly options: TimelineServiceOptions) {
    this.queries = new TimelineQueries(options.store.db);
    this.register(registryServiceLogs(options.index, options.outbox));
    this.register(registryVersions(options.index, options.outbox, this.queries));
    this.register(registryAudit(options.index, this.queries));
    this.unsubscribe = options.bus.subscribe((event, payload) => {
      if (event === 'outbox.changed') this.changed(null);
      else if (event === 'twins.changed') this.changed((payload as { twinId: string }).twinId);
      else if (event === 'sync.statusChanged') {
        // New blocks indexed: service logs and grants may have been confirmed.
        const cursor = (payload as { cursor: number | null }).cursor;
        if (cursor !== this.lastCursor) {
          this.lastCursor = cursor;
          this.changed(null);
        }
      }
    });
  }

  /** Adds a provider (the maintenance capability's work orders, say); returns its removal. */
  register(provider: TimelineProvider): () => void {
    this.providers.push(provider);
    return () => {
      const at = this.providers.indexOf(provider);
      if (at >= 0) this.providers.splice(at, 1);
    };
  }

  /** The kinds some provider answers, in the order of the kinds union. */
  kinds(): TimelineKind[] {
    const known = new Set(this.providers.flatMap((p) => p.kinds));
    return (['service', 'version', 'role', 'workOrder', 'sensorAlert', 'sla'] as const).filter((k) =>
      known.has(k),
    );
  }

  /** Tells the UI a twin's timeline (null: any twin's) may have changed; throttled. */
  changed(twinId: string | null): void {
    if (this.closed) return;
    this.pendingChange.add(twinId);
    this.changeTimer ??= setTimeout(() => {
      this.changeTimer = null;
      const twins = this.pendingChange.has(null) ? [null] : [...this.pendingChange];
      this.pendingChange = new Set();
      if (this.closed) return;
      for (const twinId of twins) this.options.bus.emit('timeline.changed', { twinId });
    }, CHANGED_THROTTLE_MS);
    this.changeTimer.unref?.();
  }

  async list(
    query: TimelineQuery,
  ): Promise<{ entries: TimelineEntry[]; kinds: TimelineKind[]; truncated: boolean }> {
    this.options.store.getTwin(query.twinId); // NOT_FOUND for an unknown twin
    const chainTwinId = this.options.index.chainTwinOf(query.twinId);
    const available = this.kinds();
    const wanted = new Set(query.kinds ?? available);
    const elementKey = query.elementKey?.toLowerCase() ?? null;
    const labels = this.options.labels();
    const context: Omit<TimelineContext, 'kinds'> = {
      storeTwinId: query.twinId,
      chainTwinId,
      query,
      labelOf: (address) => (address ? (labels.get(address.toLowerCase()) ?? null) : null),
      blockTimes: (numbers) => this.blockTimes(numbers),
    };
    const all: TimelineEntry[] = [];
    for (const provider of [...this.providers]) {
      const kinds = provider.kinds.filter((k) => wanted.has(k));
      if (kinds.length === 0) continue;
      try {
        all.push(...(await provider.entries({ ...context, kinds })));
      } catch (error) {
        if (error instanceof AppError) throw error;
        // One broken source must not hide the others' entries.
        this.options.logError?.(`timeline provider ${provider.name} failed`, error);
      }
    }
    const matching = all.filter(
      (e) =>
        wanted.has(e.kind) &&
        (elementKey === null || e.elementKey?.toLowerCase() === elementKey) &&
        (query.from === undefined || e.at >= query.from) &&
        (query.to === undefined || e.at <= query.to),
    );
    matching.sort(
      (a, b) =>
        b.at - a.at ||
        (b.blockNumber ?? Number.MAX_SAFE_INTEGER) - (a.blockNumber ?? Number.MAX_SAFE_INTEGER) ||
        (b.id < a.id ? -1 : b.id > a.id ? 1 : 0),
    );
    const limit = query.limit ?? DEFAULT_LIMIT;
    return { entries: matching.slice(0, limit), kinds: available, truncated: matching.length > limit };
  }

  /** Block times: the index's, then the chain's (cached), for at most 256 blocks a call. */
  async blockTimes(numbers: readonly number[]): Promise<Map<number, number>> {
    const out = this.queries.blockTimes(numbers);
    const missing = [...new Set(numbers)].filter((n) => !out.has(n));
    for (const n of missing) {
      const cached = this.blockTimeCache.get(n);
      if (cached !== undefined) out.set(n, cached);
    }
    const provider = this.options.provider();
    const ask = missing.filter((n) => !out.has(n)).slice(0, 256);
    if (provider && ask.length > 0) {
      try {
        for (const n of ask) {
          const block = (await provider.request({
            method: 'eth_getBlockByNumber',
            params: [`0x${n.toString(16)}`, false],
          })) as { timestamp: string } | null;
          if (!block) continue;
          const time = Number(block.timestamp);
          this.blockTimeCache.set(n, time);
          out.set(n, time);
        }
      } catch {
        // Offline: the caller places those entries by their neighbours.
      }
    }
    return out;
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    if (this.changeTimer) clearTimeout(this.changeTimer);
  }
}

// ---- the registry's own entries ------------------------------------------------------------------

const ROLE_NAMES = ['ADMIN', 'EDITOR', 'MAINTAINER', 'VIEWER', 'SENSOR'];
const roleName = (value: string | boolean | undefined) =>
  ROLE_NAMES[Number(value)] ?? `role ${String(value)}`;

/** A UTC date people read: "2026-12-01", or with the time when it is not midnight. */
export function formatDate(seconds: number): string {
  const iso = new Date(seconds * 1000).toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** A bytes32 service kind as text ("inspection"); the hex when it is not text. */
export function serviceKindText(kind: string): string {
  try {
    return decodeBytes32String(kind);
  } catch {
    return kind;
  }
}

const capitalise = (text: string) => (text ? text.charAt(0).toUpperCase() + text.slice(1) : text);
const checksum = (address: string) => {
  try {
    return getAddress(address);
  } catch {
    return null;
  }
};

const who = (context: TimelineContext, address: string | null) =>
  address ? (context.labelOf(address) ?? `${address.slice(0, 8)}…${address.slice(-4)}`) : 'someone';

interface ServiceDetails {
  elementKey: string;
  globalId: string | null;
  kind: string;
  notes: string;
  attachments: { name: string; sha256: string }[];
}

function serviceFacts(details: ServiceDetails | null, reportHash?: string): [string, string][] {
  const facts: [string, string][] = [];
  if (details) {
    facts.push(['Service', details.kind]);
    for (const a of details.attachments) facts.push([`Attachment ${a.name}`, `sha256 ${a.sha256}`]);
  }
  if (reportHash) facts.push(['Report hash', reportHash]);
  return facts;
}

/** Service logs: confirmed from the index, pending or failed from the outbox (with their notes). */
export function registryServiceLogs(index: ChainIndex, outbox: () => OutboxStore | null): TimelineProvider {
  return {
    name: 'registry service logs',
    kinds: ['service'],
    entries(context) {
      const items = (outbox()?.items({ storeTwinId: context.storeTwinId }) ?? []).filter(
        (i) => i.kind === 'logService',
      );
      // What the user entered is only in the outbox; the chain holds its hash.
      const byReport = new Map(items.map((i) => [i.message.reportHash?.toLowerCase(), i]));
      const out: TimelineEntry[] = [];
      const seen = new Set<string>();
      if (context.chainTwinId !== null) {
        for (const log of index.serviceLogs(context.chainTwinId)) {
          const item = byReport.get(log.reportHash.toLowerCase());
          const details = (item?.details as ServiceDetails | null | undefined) ?? null;
          if (item) seen.add(`outbox:${item.id}`);
          const kind = details?.kind ?? serviceKindText(log.kind);
          out.push({
            id: `service:${log.txHash}:${log.logIndex}`,
            kind: 'service',
            status: 'confirmed',
            at: log.loggedAt,
            actor: checksum(log.actor),
            actorLabel: context.labelOf(log.actor),
            title: `${capitalise(kind)} logged by ${who(context, log.actor)}`,
            detail: details?.notes ?? '',
            elementKey: log.elementKey.toLowerCase(),
            globalId: details?.globalId ?? null,
            txHash: log.txHash,
            blockNumber: log.blockNumber,
            outboxItemId: item?.id ?? null,
            facts: serviceFacts(details, log.reportHash),
          });
        }
      }
      for (const item of items) {
        if (seen.has(`outbox:${item.id}`)) continue;
        const details = item.details as ServiceDetails | null;
        const failed = item.status === 'failed' || item.status === 'conflict';
        const confirmed = item.status === 'confirmed';
        out.push({
          id: `outbox:${item.id}`,
          kind: 'service',
          status: confirmed ? 'confirmed' : failed ? 'failed' : 'pending',
          at: Math.floor(item.createdAt / 1000),
          actor: checksum(item.signer),
          actorLabel: context.labelOf(item.signer),
          title: `${capitalise(details?.kind ?? 'service')} logged by ${who(context, item.signer)}`,
          detail: [details?.notes ?? '', failed && item.reason ? `Not recorded: ${item.reason}.` : '']
            .filter(Boolean)
            .join('\n'),
          elementKey: details?.elementKey?.toLowerCase() ?? item.message.elementKey?.toLowerCase() ?? null,
          globalId: details?.globalId ?? null,
          txHash: item.status === 'sent' || confirmed ? item.txHash : null,
          blockNumber: confirmed ? item.blockNumber : null,
          outboxItemId: item.id,
          facts: serviceFacts(details, item.message.reportHash),
        });
      }
      return out;
    },
  };
}

/**
 * Version commits: on chain from the index, waiting or refused from the outbox. Asked about one
 * element, it answers the versions that added, changed or removed that element, naming it.
 */
export function registryVersions(
  index: ChainIndex,
  outbox: () => OutboxStore | null,
  queries: TimelineQueries,
): TimelineProvider {
  return {
    name: 'registry versions',
    kinds: ['version'],
    entries(context) {
      const out: TimelineEntry[] = [];
      const onChain = new Set<string>();
      const element = context.query.elementKey?.toLowerCase() ?? null;
      let previousHash: string | null = null;
      if (context.chainTwinId !== null) {
        for (const v of index.versions(context.chainTwinId)) {
          onChain.add(v.modelRoot.toLowerCase());
          let change: string | null = null;
          if (element !== null) {
            const cached = queries.storeVersionWithRoot(context.storeTwinId, v.modelRoot);
            if (!cached) continue; // its contents are not here: cannot say what it did to the element
            const hash = queries.stateHashIn(cached.id, element);
            change =
              hash === previousHash
                ? null
                : previousHash === null
                  ? 'added'
                  : hash === null
                    ? 'removed'
                    : 'changed';
            previousHash = hash;
            if (change === null) continue;
          }
          out.push({
            id: `version:${v.twinId}:${v.version}`,
            kind: 'version',
            status: 'confirmed',
            at: v.committedAt,
            actor: checksum(v.author),
            actorLabel: context.labelOf(v.author),
            title: `Version ${v.version} committed by ${who(context, v.author)}`,
            detail: change ? `This element was ${change} in this version.` : '',
            elementKey: change ? element : null,
            globalId: null,
            txHash: v.txHash,
            blockNumber: v.blockNumber,
            outboxItemId: null,
            facts: [
              ['Model root', v.modelRoot],
              ['Changeset', v.changesetHash],
            ],
          });
        }
      }
      const items = (outbox()?.items({ storeTwinId: context.storeTwinId }) ?? []).filter(
        (i) => i.kind === 'commitVersion' && !onChain.has(i.message.modelRoot?.toLowerCase() ?? ''),
      );
      for (const item of [...items].sort((a, b) => a.id - b.id)) {
        const failed = item.status === 'failed' || item.status === 'conflict';
        const version = item.baseVersion === null ? null : item.baseVersion + 1;
        let change: string | null = null;
        if (element !== null) {
          if (item.versionId === null) continue;
          const hash = queries.stateHashIn(item.versionId, element);
          change =
            hash === previousHash
              ? null
              : previousHash === null
                ? 'added'
                : hash === null
                  ? 'removed'
                  : 'changed';
          if (change === null) continue;
          if (!failed) previousHash = hash;
        }
        out.push({
          id: `outbox:${item.id}`,
          kind: 'version',
          status: item.status === 'confirmed' ? 'confirmed' : failed ? 'failed' : 'pending',
          at: Math.floor(item.createdAt / 1000),
          actor: checksum(item.signer),
          actorLabel: context.labelOf(item.signer),
          title:
            `Version ${version ?? ''} ${failed ? 'not committed' : 'signed'} by ${who(context, item.signer)}`.replace(
              /\s+/g,
              ' ',
            ),
          detail: [
            change ? `This element is ${change} in this version.` : '',
            failed && item.reason ? `Not committed: ${item.reason}.` : '',
          ]
            .filter(Boolean)
            .join(' '),
          elementKey: change ? element : null,
          globalId: null,
          txHash: item.status === 'sent' || item.status === 'confirmed' ? item.txHash : null,
          blockNumber: item.status === 'confirmed' ? item.blockNumber : null,
          outboxItemId: item.id,
          facts: item.message.modelRoot ? [['Model root', item.message.modelRoot]] : [],
        });
      }
      return out;
    },
  };
}

/** Role changes and ownership, the audit trail (only on chain: roles change by transaction). */
export function registryAudit(index: ChainIndex, queries: TimelineQueries): TimelineProvider {
  return {
    name: 'registry audit',
    kinds: ['role'],
    async entries(context) {
      if (context.chainTwinId === null) return [];
      const events = queries.auditEvents(context.chainTwinId);
      const times = await context.blockTimes(
        events.filter((e) => e.timestamp === null).map((e) => e.blockNumber),
      );
      // Versions and service logs carry their own times: neighbours for blocks the chain cannot tell.
      const known = [
        ...index.versions(context.chainTwinId).map((v) => [v.blockNumber, v.committedAt] as const),
        ...index.serviceLogs(context.chainTwinId).map((l) => [l.blockNumber, l.loggedAt] as const),
      ].sort((a, b) => a[0] - b[0]);
      const near = (block: number) => {
        let best: number | null = null;
        for (const [n, t] of known) {
          if (n <= block) best = t;
          else return best ?? t;
        }
        return best ?? 0;
      };
      return events.map((e): TimelineEntry => {
        const a = e.args;
        const at = e.timestamp ?? times.get(e.blockNumber) ?? near(e.blockNumber);
        const account = typeof a.account === 'string' ? a.account : null;
        const actor = typeof a.actor === 'string' ? a.actor : null;
        let title: string;
        let detail = '';
        const facts: [string, string][] = [];
        switch (e.name) {
          case 'RoleGranted': {
            const expires = Number(a.expiresAt);
            title = `${roleName(a.role)} granted to ${who(context, account)}`;
            detail = expires === 0 ? 'No end date.' : `Until ${formatDate(expires)}.`;
            facts.push(['Account', String(account)]);
            break;
          }
          case 'RoleRevoked':
            title = `${roleName(a.role)} revoked from ${who(context, account)}`;
            facts.push(['Account', String(account)]);
            break;
          case 'EngagementEnded':
            title = `Engagement of ${who(context, account)} ended`;
            detail = 'Every role of this account on the twin was dropped.';
            facts.push(['Account', String(account)]);
            break;
          case 'TwinMinted':
            title = `Twin registered on chain for ${who(context, typeof a.owner === 'string' ? a.owner : null)}`;
            break;
          case 'TwinTransferred':
            title = `Twin transferred to ${who(context, typeof a.to === 'string' ? a.to : null)}`;
            detail = `From ${who(context, typeof a.from === 'string' ? a.from : null)}.`;
            break;
        }
        return {
          id: `audit:${e.txHash}:${e.logIndex}`,
          kind: 'role',
          status: 'confirmed',
          at,
          actor: actor ? checksum(actor) : null,
          actorLabel: context.labelOf(actor),
          title,
          detail: actor ? `${detail}${detail ? ' ' : ''}By ${who(context, actor)}.` : detail,
          elementKey: null,
          globalId: null,
          txHash: e.txHash,
          blockNumber: e.blockNumber,
          outboxItemId: null,
          facts,
        };
      });
    },
  };
}
