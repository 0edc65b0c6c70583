// The outbox tests' world: a real EDR chain with TwinRegistry deployed from its compiled bytecode,
// optionally behind a JSON-RPC server that can stop and start (offline), and "laptops": each a real
// SQLite twin store, a vault with the demo identities and an outbox service, sharing a package
// folder like a team drive. Twins are built from synthetic element states so tests can edit
// elements precisely (a name here, a property there).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getCreateAddress, keccak256, toUtf8Bytes, type Interface } from 'ethers';
import { TwinRegistry__factory } from '../../src/main/chain/generated/types';
import { EmbeddedChain, type Eip1193Provider } from '../../src/main/chain/embedded-chain';
import { httpProvider } from '../../src/main/chain/chain-service';
import { ChainRpcServer } from '../../src/main/chain/rpc-server';
import { sandboxGenesis } from '../../src/main/chain/sandbox-genesis';
import { buildVersionTree } from '../../src/main/ifc/merkle';
import type { Logger } from '../../src/main/services/logger';
import type { SqliteDatabase } from '../../src/main/store/database';
import type { OutboxStore, VersionLeaf } from '../../src/main/store/outbox';
import { TwinStore } from '../../src/main/store/twin-store';
import { sandboxRelayerWallet } from '../../src/main/sync/deployment';
import { OutboxService, type OutboxServiceOptions } from '../../src/main/sync/outbox';
import type { RelayerOptions } from '../../src/main/sync/relayer';
import { demoWallet, type DemoRole } from '../../src/main/vault/demo-identities';
import { passphraseOnly } from '../../src/main/vault/secret-protector';
import { Vault } from '../../src/main/vault/vault';
import { canonicalJson, type CanonicalValue } from '../../src/shared/canonical';
import { TWIN_ROLES } from '../../src/shared/eip712';
import {
  elementKeyOf,
  stateHashOfCanonical,
  type ElementState,
  type PropertySetState,
} from '../../src/shared/fingerprint';
import { wallState } from '../support/states';

export const registryInterface = TwinRegistry__factory.createInterface();
export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `twinledger-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function quietLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => void lines.push(`info ${m}`),
    warn: (m) => void lines.push(`warn ${m}`),
    error: (m, e) => void lines.push(`error ${m} ${e instanceof Error ? e.message : String(e ?? '')}`),
  };
}

/** The chain (in memory), its registry, and an optional RPC server that can go away and return. */
export class Lab {
  server: ChainRpcServer | null = null;
  private readonly nonces = new Map<string, number>();

  private constructor(
    readonly chain: EmbeddedChain,
    readonly registry: string,
    readonly startBlock: number,
  ) {}

  static async start(options: { rpc?: boolean; port?: number } = {}): Promise<Lab> {
    const chain = await EmbeddedChain.start({
      genesis: () => sandboxGenesis([sandboxRelayerWallet().address]),
    });
    const owner = demoWallet('owner');
    const raw = await owner.signTransaction({
      type: 2,
      chainId: chain.chainId,
      nonce: 0,
      maxFeePerGas: 10n ** 11n,
      maxPriorityFeePerGas: 10n ** 9n,
      gasLimit: 6_000_000n,
      data: TwinRegistry__factory.bytecode,
    });
    const hash = (await chain.request({ method: 'eth_sendRawTransaction', params: [raw] })) as string;
    const receipt = (await chain.request({ method: 'eth_getTransactionReceipt', params: [hash] })) as {
      blockNumber: string;
    };
    const lab = new Lab(
      chain,
      getCreateAddress({ from: owner.address, nonce: 0 }),
      Number(receipt.blockNumber),
    );
    lab.nonces.set(owner.address, 1);
    if (options.rpc)
      lab.server = await ChainRpcServer.start(chain, options.port ? { port: options.port } : {});
    return lab;
  }

  get chainId(): number {
    return this.chain.chainId;
  }

  get target(): { chainId: number; registry: string; startBlock: number } {
    return { chainId: this.chainId, registry: this.registry, startBlock: this.startBlock };
  }

  /** A provider over HTTP when the server runs (it fails like a lost node when stopped). */
  httpProvider(): Eip1193Provider {
    if (!this.server) throw new Error('this lab has no RPC server');
    return httpProvider(this.server.url, 5_000);
  }

  /** A direct transaction from a demo identity (admin actions, a first version), mined at once. */
  async send(who: DemoRole, data: string): Promise<{ logs: { topics: string[]; data: string }[] }> {
    const wallet = demoWallet(who);
    const nonce =
      this.nonces.get(wallet.address) ??
      Number(
        await this.chain.request({ method: 'eth_getTransactionCount', params: [wallet.address, 'latest'] }),
      );
    this.nonces.set(wallet.address, nonce + 1);
    const raw = await wallet.signTransaction({
      type: 2,
      chainId: this.chainId,
      nonce,
      to: this.registry,
      data,
      maxFeePerGas: 10n ** 11n,
      maxPriorityFeePerGas: 10n ** 9n,
      gasLimit: 1_000_000n,
    });
    const hash = (await this.chain.request({ method: 'eth_sendRawTransaction', params: [raw] })) as string;
    const receipt = (await this.chain.request({ method: 'eth_getTransactionReceipt', params: [hash] })) as {
      status: string;
      logs: { topics: string[]; data: string }[];
    };
    if (receipt.status !== '0x1') throw new Error(`${who}'s transaction failed`);
    return receipt;
  }

  /** Mints a twin to the demo owner with EDITOR for the engineer (and planner) and MAINTAINER for the crew. */
  async registerTwin(name: string, editors: DemoRole[] = ['engineer']): Promise<string> {
    const receipt = await this.send(
      'owner',
      registryInterface.encodeFunctionData('mintTwin', [demoWallet('owner').address, name, `test:${name}`]),
    );
    const minted = receipt.logs
      .map((l) => registryInterface.parseLog(l))
      .find((p) => p?.name === 'TwinMinted')!;
    const twinId = String(minted.args.twinId);
    for (const editor of editors) {
      await this.send(
        'owner',
        registryInterface.encodeFunctionData('grantRole', [
          twinId,
          TWIN_ROLES.Editor,
          demoWallet(editor).address,
          0,
        ]),
      );
    }
    await this.send(
      'owner',
      registryInterface.encodeFunctionData('grantRole', [
        twinId,
        TWIN_ROLES.Maintainer,
        demoWallet('crew').address,
        0,
      ]),
    );
    return twinId;
  }

  async commitDirect(who: DemoRole, chainTwinId: string, base: number, root: string): Promise<void> {
    await this.send(
      who,
      registryInterface.encodeFunctionData('commitVersion', [
        chainTwinId,
        base,
        root,
        keccak256(toUtf8Bytes(root)),
        'test:v',
      ]),
    );
  }

  async view<T>(method: string, args: unknown[]): Promise<T> {
    const iface = registryInterface as unknown as Interface;
    const data = iface.encodeFunctionData(method, args);
    const result = (await this.chain.request({
      method: 'eth_call',
      params: [{ to: this.registry, data }, 'latest'],
    })) as string;
    return iface.decodeFunctionResult(method, result)[0] as T;
  }

  /** How many times each digest executed on chain (IntentExecuted logs). */
  async executions(): Promise<Map<string, number>> {
    const logs = (await this.chain.request({
      method: 'eth_getLogs',
      params: [
        {
          address: this.registry,
          fromBlock: '0x0',
          toBlock: 'latest',
          topics: [registryInterface.getEvent('IntentExecuted').topicHash],
        },
      ],
    })) as { topics: string[] }[];
    const counts = new Map<string, number>();
    for (const log of logs)
      counts.set(log.topics[1]!.toLowerCase(), (counts.get(log.topics[1]!.toLowerCase()) ?? 0) + 1);
    return counts;
  }

  /** Transactions sent by the relayer so far. */
  async relayerTransactions(): Promise<number> {
    return Number(
      await this.chain.request({
        method: 'eth_getTransactionCount',
        params: [sandboxRelayerWallet().address, 'latest'],
      }),
    );
  }

  async close(): Promise<void> {
    await this.server?.stop();
    await this.chain.close();
  }
}

/**
 * A synthetic element: a wall with a name, a fire rating and an acoustic rating, or with the
 * property sets given instead.
 */
export interface ElementSpec {
  globalId: string;
  name?: string;
  fireRating?: string;
  acoustic?: string;
  propertySets?: PropertySetState[];
  /** Its type object (default none). */
  type?: ElementState['type'];
  /** Its state's format and geometry hash (default: the current format, no geometry). */
  format?: number;
  geometry?: string | null;
  /** Its placement (default none) and container (default none). */
  placement?: number[] | null;
  container?: string | null;
  /**
   * The model holding it, by the fixture's name (the store's model `${storeTwinId}-${model}`);
   * default 'arch'. Given in an edit, the element passes to that model (its state unchanged by it).
   */
  model?: string;
}

export function elementState(spec: ElementSpec): ElementState {
  return wallState(
    spec.propertySets ?? [
      {
        name: 'Pset_WallCommon',
        kind: 'pset',
        properties: [
          { name: 'AcousticRating', type: 'IFCLABEL', value: spec.acoustic ?? 'R40', unit: null },
          { name: 'FireRating', type: 'IFCLABEL', value: spec.fireRating ?? 'EI60', unit: null },
        ],
      },
    ],
    [],
    {
      globalId: spec.globalId,
      name: spec.name ?? `Wall ${spec.globalId}`,
      placement: spec.placement ?? null,
      container: spec.container ?? null,
      type: spec.type ?? null,
      geometry: (spec.geometry ?? null) as ElementState['geometry'],
      ...(spec.format === undefined ? {} : { format: spec.format }),
    },
  );
}

/** An element of a version as the fixture writes it: its state, its model and its express id. */
export interface PlacedState {
  state: ElementState;
  modelId: string;
  expressId: number;
  /** Its stored row's storey (default none) and meshes (default none; world matrices, Y up). */
  storeyGlobalId?: string | null;
  meshes?: { geometryHash: string; matrix: number[] }[];
}

/** The fixture's models are `${storeTwinId}-${name}`. */
export const modelIdOf = (storeTwinId: string, model = 'arch'): string => `${storeTwinId}-${model}`;

/** Creates the model unless the twin has it (an import of a new model creates it likewise). */
export function ensureModel(db: SqliteDatabase, storeTwinId: string, model: string): string {
  const id = modelIdOf(storeTwinId, model);
  db.prepare(
    'INSERT OR IGNORE INTO models (id, twin_id, name, discipline, created_at) VALUES (?, ?, ?, ?, ?)',
  ).run(id, storeTwinId, model.toUpperCase(), model.toUpperCase(), Date.now());
  return id;
}

/** A version of these elements over the base (whose model revisions it copies), as createVersion writes one. */
export function writeVersion(
  outbox: OutboxStore,
  storeTwinId: string,
  baseVersionId: number | null,
  status: 'draft' | 'confirmed' | 'local',
  elements: PlacedState[],
): number {
  const portable = elements.map(({ state, storeyGlobalId, meshes }) => {
    const canonical = canonicalJson(state as unknown as CanonicalValue);
    return {
      stateHash: stateHashOfCanonical(canonical),
      globalId: state.globalId,
      ifcClass: state.ifcClass,
      name: state.name,
      parentGlobalId: null,
      storeyGlobalId: storeyGlobalId ?? null,
      isSpatial: false,
      geometryHash: state.geometry,
      canonical,
      searchText: state.globalId.toLowerCase(),
      meshes: (meshes ?? []).map((m) => ({
        geometryHash: m.geometryHash,
        color: new Uint8Array(new Float32Array([1, 1, 1, 1]).buffer),
        matrix: new Uint8Array(new Float64Array(m.matrix).buffer),
      })),
    };
  });
  // A one-triangle geometry for each mesh's hash.
  const geometries = [...new Set(elements.flatMap((e) => (e.meshes ?? []).map((m) => m.geometryHash)))].map(
    (hash) => ({
      hash,
      vertexCount: 3,
      indexCount: 3,
      vertices: new Uint8Array(new Float32Array(18).buffer),
      indices: new Uint8Array(new Uint32Array([0, 1, 2]).buffer),
    }),
  );
  outbox.importStates(portable, geometries);
  const leaves: VersionLeaf[] = portable.map((s, i) => ({
    elementKey: elementKeyOf(s.globalId),
    modelId: elements[i]!.modelId,
    stateHash: s.stateHash,
    expressId: elements[i]!.expressId,
  }));
  const tree = buildVersionTree(leaves.map((l) => [l.elementKey, l.stateHash] as const));
  return outbox.createVersion({
    twinId: storeTwinId,
    baseVersionId,
    status,
    merkleRoot: tree.root,
    treeNodes: tree.nodes,
    leaves: leaves.map((l) => ({ ...l, leafIndex: tree.leafIndex.get(l.elementKey)! })),
    changeset: { entries: [] },
  });
}

/** The sha256 the fixture's source file of that name has (its content is its name). */
export const fileSha256 = (file: string): string => createHash('sha256').update(file).digest('hex');

/**
 * Names `file` as the model's source in the version, as an import of it writes it: the
 * source_files row (its content the file's name) and the version's model_revisions row.
 */
export function setModelFile(
  db: SqliteDatabase,
  versionId: number,
  storeTwinId: string,
  model: string,
  file: string,
): string {
  const modelId = ensureModel(db, storeTwinId, model);
  const sha256 = fileSha256(file);
  db.prepare(
    `INSERT OR IGNORE INTO source_files (sha256, file_name, byte_size, ifc_schema, authoring_app, content)
     VALUES (?, ?, ?, 'IFC4', NULL, ?)`,
  ).run(sha256, file, file.length, Buffer.from(file));
  db.prepare(
    `INSERT OR REPLACE INTO model_revisions (version_id, model_id, source_sha256, ifc_schema, project_global_id, warnings)
     VALUES (?, ?, ?, 'IFC4', NULL, '[]')`,
  ).run(versionId, modelId, sha256);
  return sha256;
}

/** The file each model of the version names (model_revisions), by the fixture's model names. */
export function modelFiles(db: SqliteDatabase, versionId: number): Record<string, string> {
  const rows = db
    .prepare(
      `SELECT substr(r.model_id, length(v.twin_id) + 2) AS model, s.file_name FROM model_revisions r
       JOIN versions v ON v.id = r.version_id JOIN source_files s ON s.sha256 = r.source_sha256
       WHERE r.version_id = ? ORDER BY model`,
    )
    .all(versionId) as { model: string; file_name: string }[];
  return Object.fromEntries(rows.map((r) => [r.model, r.file_name]));
}

export interface LaptopOptions {
  lab: Lab;
  dir: string;
  sharedPackages: string;
  identity: DemoRole;
  /** Default: the lab's in-process chain; offline tests switch it. */
  provider?: () => Eip1193Provider | null;
  relayer?: Partial<
    Pick<
      RelayerOptions,
      'confirmations' | 'maxBatch' | 'receiptPollMs' | 'stuckAfterMs' | 'backoffMs' | 'idleMs'
    >
  >;
  start?: boolean;
  /** What the outbox tells the app's views (counts, and the items whose status changed). */
  onChange?: OutboxServiceOptions['onChange'];
}

/** One app instance: its own store, vault and outbox. */
export class Laptop {
  online = true;
  private constructor(
    readonly store: TwinStore,
    readonly vault: Vault,
    readonly outbox: OutboxService,
    readonly options: LaptopOptions,
    readonly logger: Logger & { lines: string[] },
  ) {}

  static async open(options: LaptopOptions): Promise<Laptop> {
    const store = TwinStore.open(join(options.dir, 'twins.sqlite'));
    const vault = new Vault({
      dataDir: options.dir,
      protector: passphraseOnly('tests'),
      idleLockMinutes: () => 15,
      scryptN: 1024,
    });
    await vault.addDemoIdentities();
    vault.setActive(`demo-${options.identity}`);
    let laptop: Laptop | null = null;
    const logger = quietLogger();
    const outbox = new OutboxService({
      store,
      vault,
      provider: () => (laptop && !laptop.online ? null : (options.provider?.() ?? options.lab.chain)),
      target: () => options.lab.target,
      relayerAccount: () => sandboxRelayerWallet(),
      packageDirs: [join(options.dir, 'packages'), options.sharedPackages],
      logger,
      relayer: { receiptPollMs: 10, idleMs: 200, backoffMs: { initial: 50, max: 400 }, ...options.relayer },
      onChange: options.onChange,
    });
    laptop = new Laptop(store, vault, outbox, options, logger);
    if (options.start ?? true) outbox.start();
    return laptop;
  }

  get db(): OutboxStore {
    return this.outbox.outbox;
  }

  /**
   * A twin whose first version (these elements) is confirmed as chain version 1 of `chainTwinId`;
   * `files`: the file each model (by name) names in it, as imports would have written them.
   */
  createTwin(
    storeTwinId: string,
    name: string,
    chainTwinId: string,
    specs: ElementSpec[],
    files: Record<string, string> = {},
  ): number {
    const db = this.store.db;
    db.prepare('INSERT INTO twins (id, name, created_at) VALUES (?, ?, ?)').run(
      storeTwinId,
      name,
      Date.now(),
    );
    ensureModel(db, storeTwinId, 'arch');
    const elements = specs.map((spec, i) => ({
      state: elementState(spec),
      modelId: ensureModel(db, storeTwinId, spec.model ?? 'arch'),
      expressId: i + 1,
    }));
    const versionId = writeVersion(this.db, storeTwinId, null, 'confirmed', elements);
    for (const [model, file] of Object.entries(files)) setModelFile(db, versionId, storeTwinId, model, file);
    this.db.setTwinHead(storeTwinId, versionId);
    this.db.linkTwin(storeTwinId, chainTwinId);
    return versionId;
  }

  /** A draft on the twin's head with these elements changed (or added; `remove` drops them). */
  editDraft(storeTwinId: string, edits: ElementSpec[], remove: string[] = []): number {
    const head = this.db.twinHead(storeTwinId)!;
    // Each element keeps its model and express id (a new one: the next express id).
    const elements = new Map<string, PlacedState>();
    const leaves = this.db.leaves(head);
    const canon = this.db.states(leaves.map((l) => l.stateHash));
    for (const leaf of leaves) {
      const state = JSON.parse(canon.get(leaf.stateHash)!.canonical) as ElementState;
      elements.set(state.globalId, { state, modelId: leaf.modelId, expressId: leaf.expressId });
    }
    let nextExpressId = Math.max(0, ...leaves.map((l) => l.expressId)) + 1;
    for (const edit of edits) {
      const placed = elements.get(edit.globalId);
      const before = placed?.state;
      const spec: ElementSpec = { globalId: edit.globalId };
      if (before) {
        spec.name = before.name!;
        spec.type = before.type;
        spec.format = before.format;
        spec.geometry = before.geometry;
        // An element built from the property sets given keeps them unless the edit gives others.
        const props = before.propertySets[0]?.properties ?? [];
        const acoustic = props.find((p) => p.name === 'AcousticRating');
        const fireRating = props.find((p) => p.name === 'FireRating');
        if (acoustic && fireRating) {
          spec.acoustic = String(acoustic.value);
          spec.fireRating = String(fireRating.value);
        } else spec.propertySets = before.propertySets;
      }
      const modelId = edit.model
        ? ensureModel(this.store.db, storeTwinId, edit.model)
        : (placed?.modelId ?? modelIdOf(storeTwinId));
      elements.set(edit.globalId, {
        state: elementState({ ...spec, ...edit }),
        modelId,
        expressId: placed?.expressId ?? nextExpressId++,
      });
    }
    for (const globalId of remove) elements.delete(globalId);
    return writeVersion(this.db, storeTwinId, head, 'draft', [...elements.values()]);
  }

  /**
   * A draft as an import of `file` for the model would make it: editDraft's, whose revision of the
   * model names that file (the other models keep the head's). The model is created if new.
   */
  importDraft(
    storeTwinId: string,
    model: string,
    file: string,
    edits: ElementSpec[],
    remove: string[] = [],
  ): number {
    ensureModel(this.store.db, storeTwinId, model);
    const versionId = this.editDraft(storeTwinId, edits, remove);
    setModelFile(this.store.db, versionId, storeTwinId, model, file);
    return versionId;
  }

  /**
   * The element as the version holds it, claimed by the model's file (element_claims, migration
   * 10), as an import of that file writes a claim on an element another model holds.
   */
  claim(storeTwinId: string, versionId: number, model: string, file: string, globalId: string): void {
    const leaf = this.db.leaves(versionId).find((l) => l.elementKey === elementKeyOf(globalId))!;
    this.store.db
      .prepare(
        `INSERT INTO element_claims (model_id, source_sha256, element_key, state_hash, express_id, seq)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(
        modelIdOf(storeTwinId, model),
        fileSha256(file),
        leaf.elementKey,
        leaf.stateHash,
        leaf.expressId,
        this.db.version(versionId)!.seq,
      );
  }

  /** The keys of the elements the model's file claims. */
  claims(storeTwinId: string, model: string, file: string): string[] {
    return this.store.db
      .prepare(
        'SELECT element_key FROM element_claims WHERE model_id = ? AND source_sha256 = ? ORDER BY element_key',
      )
      .pluck()
      .all(modelIdOf(storeTwinId, model), fileSha256(file)) as string[];
  }

  /** The file each model of the version names, by the fixture's model names. */
  modelFiles(versionId: number): Record<string, string> {
    return modelFiles(this.store.db, versionId);
  }

  /** Where an element is in a version (default: the twin's head): its model (by name) and express id. */
  placement(
    storeTwinId: string,
    globalId: string,
    versionId?: number,
  ): { model: string; expressId: number } | null {
    const version = versionId ?? this.db.twinHead(storeTwinId)!;
    const leaf = this.db.leaves(version).find((l) => l.elementKey === elementKeyOf(globalId));
    return leaf ? { model: leaf.modelId.slice(storeTwinId.length + 1), expressId: leaf.expressId } : null;
  }

  /** An element's state in a version (default: the twin's head). */
  element(storeTwinId: string, globalId: string, versionId?: number): ElementState | null {
    const version = versionId ?? this.db.twinHead(storeTwinId)!;
    const leaf = this.db.leaves(version).find((l) => l.elementKey === elementKeyOf(globalId));
    if (!leaf) return null;
    return JSON.parse(this.db.states([leaf.stateHash]).get(leaf.stateHash)!.canonical) as ElementState;
  }

  async close(): Promise<void> {
    await this.outbox.close();
    this.vault.close();
    this.store.close();
  }
}

/** mulberry32: tests print their seeds so a failure can be replayed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
