// Indexing speed: registry events from a local chain node (`npm run chain`'s node with the hosted
// providers' limits: 2,000 blocks / 10,000 logs per eth_getLogs) into the SQLite store, printed
// beside the node's own getLogs rate and the raw SQLite insert rate of the same rows (the ceiling).
// Bound: at least 10,000 events/s. Run: npm run bench:sync-index [-- EVENTS]
//
// The events come from a small flood contract that emits the registry's own events (RoleGranted,
// VersionCommitted, ServiceLogged; 200 per transaction) at the address the indexer follows, with
// empty blocks between transactions (events are sparse on real chains; 2,000 blocks then hold
// about 6,700 events, under the log limit).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AbiCoder, getCreateAddress, keccak256, toUtf8Bytes, zeroPadValue, toBeHex } from 'ethers';
import { httpProvider } from '../src/main/chain/chain-service';
import { TwinRegistry__factory } from '../src/main/chain/generated/types';
import { openDatabase } from '../src/main/store/database';
import { ChainIndex } from '../src/main/store/chain-index';
import { ChainIndexer } from '../src/main/sync/indexer';
import { demoWallet } from '../src/main/vault/demo-identities';

const BOUND_EVENTS_PER_S = 10_000;
const EVENTS = Number(process.argv[2] ?? 40_000);
const PER_TX = 200;
const BLOCKS_PER_TX = 60;
const ROUNDS = 3;
const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

/**
 * Runtime of the flood contract. Calldata: [count][topic0][topic1][topic3][event data...]; it
 * emits `count` LOG4s with topic2 = 1, 2, 3... and the given data.
 */
const FLOOD_RUNTIME = [
  ['6000', 'PUSH1 0'],
  ['35', 'CALLDATALOAD: count'],
  ['6080', 'PUSH1 0x80'],
  ['36', 'CALLDATASIZE'],
  ['03', 'SUB: size of the event data'],
  ['80', 'DUP1'],
  ['6080', 'PUSH1 0x80'],
  ['6000', 'PUSH1 0'],
  ['37', 'CALLDATACOPY: memory[0..size] = event data'],
  ['6000', 'PUSH1 0: i'],
  ['5b', 'JUMPDEST 0x0f: loop'],
  ['82', 'DUP3: count'],
  ['81', 'DUP2: i'],
  ['10', 'LT: i < count'],
  ['15', 'ISZERO'],
  ['602e', 'PUSH1 0x2e'],
  ['57', 'JUMPI: done when i >= count'],
  ['6060', 'PUSH1 0x60'],
  ['35', 'CALLDATALOAD: topic3'],
  ['81', 'DUP2: i'],
  ['6001', 'PUSH1 1'],
  ['01', 'ADD: topic2 = i + 1'],
  ['6040', 'PUSH1 0x40'],
  ['35', 'CALLDATALOAD: topic1'],
  ['6020', 'PUSH1 0x20'],
  ['35', 'CALLDATALOAD: topic0'],
  ['85', 'DUP6: size'],
  ['6000', 'PUSH1 0: offset'],
  ['a4', 'LOG4'],
  ['6001', 'PUSH1 1'],
  ['01', 'ADD: i + 1'],
  ['600f', 'PUSH1 0x0f'],
  ['56', 'JUMP'],
  ['5b', 'JUMPDEST 0x2e'],
  ['00', 'STOP'],
]
  .map(([code]) => code)
  .join('');

function initCode(runtime: string): string {
  const length = (runtime.length / 2).toString(16).padStart(2, '0');
  return `0x60${length}600c60003960${length}6000f3${runtime}`;
}

async function startNode(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(REPO, 'src/main/chain/node-cli.ts'),
      '--memory',
      '--port',
      '0',
      '--max-logs',
      '10000',
      '--max-block-range',
      '2000',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((done, fail) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /listening at (\S+)/.exec(line);
      if (match) done(match[1]!);
    });
    child.once('exit', (code) => fail(new Error(`chain node exited with ${code}: ${stderr}`)));
  });
  return { url, child };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'twinledger-bench-sync-'));
  const node = await startNode();
  try {
    const rpc = httpProvider(node.url, 60_000);
    const chainId = Number(await rpc.request({ method: 'eth_chainId', params: [] }));
    const owner = demoWallet('owner');
    let nonce = Number(
      await rpc.request({ method: 'eth_getTransactionCount', params: [owner.address, 'latest'] }),
    );
    const send = async (tx: { to?: string; data: string; gasLimit: bigint }) =>
      rpc.request({
        method: 'eth_sendRawTransaction',
        params: [
          await owner.signTransaction({
            type: 2,
            chainId,
            nonce: nonce++,
            maxFeePerGas: 10n ** 11n,
            maxPriorityFeePerGas: 10n ** 9n,
            ...tx,
          }),
        ],
      });

    // ---- the events ---------------------------------------------------------------------------
    const registry = getCreateAddress({ from: owner.address, nonce });
    await send({ data: initCode(FLOOD_RUNTIME), gasLimit: 200_000n });
    const startBlock = Number(await rpc.request({ method: 'eth_blockNumber', params: [] }));
    const iface = TwinRegistry__factory.createInterface();
    const coder = AbiCoder.defaultAbiCoder();
    const actor = zeroPadValue(owner.address, 32);
    const kinds = [
      {
        name: 'RoleGranted',
        topic3: zeroPadValue(toBeHex(1), 32),
        data: coder.encode(['uint40', 'address'], [4_000_000_000, owner.address]),
      },
      {
        name: 'VersionCommitted',
        topic3: actor,
        data: coder.encode(
          ['bytes32', 'bytes32', 'string', 'uint64'],
          [
            keccak256(toUtf8Bytes('root')),
            keccak256(toUtf8Bytes('changeset')),
            'twinledger:package/sha256/bench',
            1_800_000_000,
          ],
        ),
      },
      {
        name: 'ServiceLogged',
        topic3: actor,
        data: coder.encode(
          ['bytes32', 'bytes32', 'string', 'uint64'],
          [
            keccak256(toUtf8Bytes('inspection')),
            keccak256(toUtf8Bytes('report')),
            'twinledger:report/bench',
            1_800_000_000,
          ],
        ),
      },
    ];
    const t0 = performance.now();
    const txs = Math.ceil(EVENTS / PER_TX);
    for (let k = 0; k < txs; k++) {
      const kind = kinds[k % kinds.length]!;
      const count = Math.min(PER_TX, EVENTS - k * PER_TX);
      const calldata =
        coder.encode(
          ['uint256', 'bytes32', 'bytes32', 'bytes32'],
          [
            count,
            iface.getEvent(kind.name as 'RoleGranted')!.topicHash,
            zeroPadValue(toBeHex(k + 1), 32),
            kind.topic3,
          ],
        ) + kind.data.slice(2);
      await send({ to: registry, data: calldata, gasLimit: 4_000_000n });
      await rpc.request({ method: 'hardhat_mine', params: [toBeHex(BLOCKS_PER_TX - 1)] });
    }
    const head = Number(await rpc.request({ method: 'eth_blockNumber', params: [] }));
    console.log(
      `chain node: ${EVENTS} registry events in ${txs} transactions over ${head - startBlock + 1} blocks ` +
        `(written in ${((performance.now() - t0) / 1000).toFixed(1)} s); limits 2,000 blocks / 10,000 logs per eth_getLogs`,
    );

    // ---- three rounds of: the node's own getLogs rate, then the indexer into a fresh database ----
    // (the machine may be shared: medians of three say more than one run)
    const getLogsRates: number[] = [];
    const indexRates: number[] = [];
    let outcome: Awaited<ReturnType<ChainIndexer['syncOnce']>> | null = null;
    let fetched = 0;
    let indexMs = 0;
    let dbPath = '';
    for (let round = 0; round < ROUNDS; round++) {
      const t1 = performance.now();
      fetched = 0;
      for (let from = startBlock; from <= head; from += 2000) {
        const logs = (await rpc.request({
          method: 'eth_getLogs',
          params: [
            { address: registry, fromBlock: toBeHex(from), toBlock: toBeHex(Math.min(head, from + 1999)) },
          ],
        })) as unknown[];
        fetched += logs.length;
      }
      getLogsRates.push(fetched / ((performance.now() - t1) / 1000));
      // The indexer: fetch, decode, write events + derived state + cursor per range.
      dbPath = join(dir, `indexed-${round}.sqlite`);
      const db = openDatabase(dbPath);
      const indexer = new ChainIndexer({
        provider: rpc,
        index: new ChainIndex(db),
        deployment: { chainId, registry, startBlock },
      });
      const t2 = performance.now();
      outcome = await indexer.syncOnce();
      indexMs = performance.now() - t2;
      indexRates.push(outcome.events / (indexMs / 1000));
      db.close();
      console.log(
        `round ${round + 1}: node getLogs ${Math.round(getLogsRates.at(-1)!).toLocaleString('en')} events/s, ` +
          `indexer ${Math.round(indexRates.at(-1)!).toLocaleString('en')} events/s`,
      );
    }
    const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
    const getLogsRate = median(getLogsRates);
    const indexRate = median(indexRates);
    if (!outcome) throw new Error('no indexing round ran');
    const db = openDatabase(dbPath);

    // ---- the ceiling: the same rows inserted straight into SQLite in one transaction ----------
    const tables = ['chain_events', 'chain_role_grants', 'chain_versions', 'chain_service_logs'];
    const rows = Object.fromEntries(
      tables.map((t) => [t, db.prepare(`SELECT * FROM ${t}`).raw().all() as unknown[][]]),
    );
    const rowCount = Object.values(rows).reduce((sum, list) => sum + list.length, 0);
    db.close();
    const raw = openDatabase(join(dir, 'raw.sqlite'));
    const inserts = tables.map((t) => {
      const width = rows[t]![0]?.length ?? 1;
      return [t, raw.prepare(`INSERT INTO ${t} VALUES (${Array(width).fill('?').join(', ')})`)] as const;
    });
    const t3 = performance.now();
    raw.transaction(() => {
      for (const [table, statement] of inserts) for (const row of rows[table]!) statement.run(row);
    })();
    const rawMs = performance.now() - t3;
    raw.close();
    const rawRate = outcome.events / (rawMs / 1000);

    console.log(
      `indexer: ${outcome.events} events in ${outcome.ranges} ranges (${outcome.splits} refused and halved), ` +
        `last round ${indexMs.toFixed(0)} ms; median ${Math.round(indexRate).toLocaleString('en')} events/s ` +
        `(${rowCount.toLocaleString('en')} rows: events + derived state, cursor and block hashes per range)`,
    );
    console.log(
      `node getLogs (same ranges, JSON over HTTP, no decoding): ${Math.round(getLogsRate).toLocaleString('en')} events/s`,
    );
    console.log(
      `raw SQLite insert of the same rows, one transaction (ceiling): ${Math.round(rawRate).toLocaleString('en')} events/s ` +
        `(${Math.round(rowCount / (rawMs / 1000)).toLocaleString('en')} rows/s)`,
    );
    console.log(
      `ratios: indexer / getLogs ${(indexRate / getLogsRate).toFixed(2)}, indexer / raw insert ${(indexRate / rawRate).toFixed(2)}, ` +
        `indexer / bound ${(indexRate / BOUND_EVENTS_PER_S).toFixed(2)} (bound ${BOUND_EVENTS_PER_S.toLocaleString('en')} events/s)`,
    );
    if (outcome.events !== EVENTS || fetched !== EVENTS) {
      console.error(`FAIL: expected ${EVENTS} events, indexed ${outcome.events}, fetched ${fetched}`);
      process.exitCode = 1;
    } else if (indexRate < BOUND_EVENTS_PER_S) {
      console.error(
        `FAIL: indexing ${Math.round(indexRate)} events/s is under the bound of ${BOUND_EVENTS_PER_S}`,
      );
      process.exitCode = 1;
    } else {
      console.log('PASS');
    }
  } finally {
    node.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
