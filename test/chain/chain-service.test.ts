// The chain connection in network mode follows a JSON-RPC node going away and coming back.
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedChain } from '../../src/main/chain/embedded-chain';
import { ChainRpcServer } from '../../src/main/chain/rpc-server';
import { ChainService, endpointLabel } from '../../src/main/chain/chain-service';
import { sandboxGenesis } from '../../src/main/chain/sandbox-genesis';
import type { ChainStatus } from '../../src/shared/api';
import { quietLogger } from '../support/serve';
import { tempDir } from './helpers';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('chain service', () => {
  it('goes offline when the node stops and ready when it returns', async () => {
    const chain = await EmbeddedChain.start({ genesis: () => sandboxGenesis() });
    const server = await ChainRpcServer.start(chain);
    const { dir, remove } = tempDir('chain-service');
    const statuses: ChainStatus[] = [];
    const service = new ChainService({
      dataDir: dir,
      config: () => ({ chainMode: 'network', rpcUrl: server.url }),
      onStatus: (status) => statuses.push(status),
      logger: quietLogger,
      pollMs: 50,
    });
    cleanups.push(
      remove,
      () => chain.close(),
      () => server.stop(),
      () => service.close(),
    );
    await service.start();
    expect(service.status()).toMatchObject({
      mode: 'network',
      state: 'ready',
      chainId: 31337,
      label: server.url,
    });
    await server.stop();
    await until(() => service.status().state === 'offline');
    expect(service.status().lastError).toMatch(/cannot be reached/);
    await server.start();
    await chain.request({ method: 'evm_mine', params: [] });
    await until(() => service.status().state === 'ready' && service.status().head?.number === 1);
    expect(statuses.map((s) => s.state)).toEqual(expect.arrayContaining(['starting', 'ready', 'offline']));
  });

  it('keeps a sandbox node the user stopped stopped when other settings change', async () => {
    const { dir, remove } = tempDir('chain-service-held');
    let config = { chainMode: 'sandbox' as 'sandbox' | 'network', rpcUrl: null as string | null };
    const service = new ChainService({
      dataDir: dir,
      config: () => config,
      onStatus: () => {},
      logger: quietLogger,
      durable: false,
    });
    cleanups.push(remove, () => service.close());
    await service.start();
    expect(service.status().state).toBe('ready');
    await service.setSandboxRunning(false);
    // Every settings.changed reaches reconfigure (the import limit saved, say): nothing to apply here.
    await service.reconfigure();
    expect(service.status().state).toBe('offline');
    expect(service.sandbox).toBeNull();
    await service.setSandboxRunning(true);
    expect(service.status().state).toBe('ready');
    // A changed mode is applied, and the sandbox it comes back to runs again.
    config = { chainMode: 'network', rpcUrl: null };
    await service.reconfigure();
    expect(service.status()).toMatchObject({ mode: 'network', label: 'No network configured' });
    config = { chainMode: 'sandbox', rpcUrl: null };
    await service.reconfigure();
    expect(service.status()).toMatchObject({ mode: 'sandbox', state: 'ready' });
  });

  it('shows an endpoint without its credentials', () => {
    expect(endpointLabel('https://user:pw@eth.example.com/v3/SECRETKEY?x=1')).toBe('https://eth.example.com');
  });
});
