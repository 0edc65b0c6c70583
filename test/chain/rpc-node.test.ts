// The standalone node: JSON-RPC over HTTP on 127.0.0.1 with batches, provider-like log limits,
// stop/start to simulate going offline, and (as `npm run chain` does) a restart that keeps the chain.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { EmbeddedChain } from '../../src/main/chain/embedded-chain';
import { ChainRpcServer } from '../../src/main/chain/rpc-server';
import { sandboxGenesis } from '../../src/main/chain/sandbox-genesis';
import { RawSender, tempDir } from './helpers';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

describe('chain JSON-RPC server', () => {
  it('answers single and batch requests in order', async () => {
    const chain = await EmbeddedChain.start({ genesis: () => sandboxGenesis() });
    const server = await ChainRpcServer.start(chain);
    cleanups.push(
      () => chain.close(),
      () => server.stop(),
    );
    const sender = RawSender.owner(chain.chainId);
    const to = Wallet.createRandom().address;
    const raws = [await sender.sign({ to, value: 5n }), await sender.sign({ to, value: 6n })];
    const batch = await post(server.url, [
      { jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: [raws[0]] },
      { jsonrpc: '2.0', id: 2, method: 'eth_sendRawTransaction', params: [raws[1]] },
      { jsonrpc: '2.0', id: 3, method: 'eth_getBalance', params: [to, 'latest'] },
      { jsonrpc: '2.0', id: 4, method: 'no_such_method', params: [] },
    ]);
    expect(batch.status).toBe(200);
    const answers = batch.body as { id: number; result?: string; error?: { code: number } }[];
    expect(answers.map((a) => a.id)).toEqual([1, 2, 3, 4]);
    expect(BigInt(answers[2]!.result!)).toBe(11n);
    expect(answers[3]!.error).toBeDefined();
    const single = await post(server.url, { jsonrpc: '2.0', id: 'x', method: 'eth_chainId' });
    expect(single.body).toEqual({ jsonrpc: '2.0', id: 'x', result: '0x7a69' });
  });

  it('refuses requests from web pages', async () => {
    const chain = await EmbeddedChain.start({ genesis: () => sandboxGenesis() });
    const server = await ChainRpcServer.start(chain);
    cleanups.push(
      () => chain.close(),
      () => server.stop(),
    );
    const answer = await post(
      server.url,
      { jsonrpc: '2.0', id: 1, method: 'eth_chainId' },
      { origin: 'https://evil.example' },
    );
    expect(answer.status).toBe(403);
  });

  it('goes offline on stop and comes back on the same port with the same chain', async () => {
    const chain = await EmbeddedChain.start({ genesis: () => sandboxGenesis() });
    const server = await ChainRpcServer.start(chain);
    cleanups.push(
      () => chain.close(),
      () => server.stop(),
    );
    const url = server.url;
    await server.stop();
    await expect(post(url, { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber' })).rejects.toThrow();
    await server.start();
    expect(server.url).toBe(url);
    expect((await post(url, { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber' })).body).toMatchObject({
      result: '0x0',
    });
  });
});

/** Runs `node-cli.ts` the way `npm run chain` runs its build, and waits for the URL line. */
async function startNode(args: string[]): Promise<{ url: string; child: ChildProcess; stderr: string[] }> {
  const child = spawn(join(process.cwd(), 'node_modules/.bin/tsx'), ['src/main/chain/node-cli.ts', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`node exited with ${code}: ${stderr.join('\n')}`)));
  });
  return { url, child, stderr };
}

const stopNode = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.on('exit', () => resolve());
    child.kill('SIGTERM');
  });

describe('npm run chain (node-cli)', () => {
  it('serves the journaled chain and keeps it across a restart', async () => {
    const { dir, remove } = tempDir('chain-cli');
    cleanups.push(remove);
    const args = ['--port', '0', '--data-dir', dir, '--max-block-range', '100'];
    const first = await startNode(args);
    cleanups.push(() => stopNode(first.child));
    const rpc = async (url: string, method: string, params: unknown[] = []) =>
      (await post(url, { jsonrpc: '2.0', id: 1, method, params })).body as {
        result?: unknown;
        error?: unknown;
      };
    const sender = RawSender.owner(31337);
    const to = Wallet.createRandom().address;
    for (let i = 0; i < 5; i++)
      await rpc(first.url, 'eth_sendRawTransaction', [await sender.sign({ to, value: 1n })]);
    await rpc(first.url, 'hardhat_mine', ['0x200']);
    const tooWide = await rpc(first.url, 'eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest' }]);
    expect(tooWide.error).toMatchObject({ code: -32005 });
    const head = (await rpc(first.url, 'eth_getBlockByNumber', ['latest', false])).result as { hash: string };
    await stopNode(first.child);

    const second = await startNode(args);
    cleanups.push(() => stopNode(second.child));
    const again = (await rpc(second.url, 'eth_getBlockByNumber', ['latest', false])).result as {
      hash: string;
    };
    expect(again.hash).toBe(head.hash);
    expect(BigInt((await rpc(second.url, 'eth_getBalance', [to, 'latest'])).result as string)).toBe(5n);
    expect(second.stderr.join('\n')).toMatch(/replayed 6 journal lines/);
  });
});
