// A TwinRegistry on a test chain, driven with raw signed transactions (explicit nonces, several per
// block when asked), so sync tests can write many registry events quickly and reproducibly.
import { getCreateAddress, keccak256, toUtf8Bytes, type HDNodeWallet, type Wallet } from 'ethers';
import { TwinRegistry__factory } from '../../src/main/chain/generated/types';
import type { Eip1193Provider } from '../../src/main/chain/embedded-chain';
import { demoWallet, type DemoRole } from '../../src/main/vault/demo-identities';

const registryInterface = TwinRegistry__factory.createInterface();

/** A small deterministic pseudo-random generator (mulberry32): tests print their seeds. */
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

export class RegistryDriver {
  private readonly nonces = new Map<string, number>();

  private constructor(
    readonly chain: Eip1193Provider,
    readonly chainId: number,
    readonly registry: string,
    readonly startBlock: number,
  ) {}

  /** Deploys a registry from the demo owner (its next nonce). */
  static async deploy(chain: Eip1193Provider, chainId: number): Promise<RegistryDriver> {
    const owner = demoWallet('owner');
    const nonce = Number(
      await chain.request({ method: 'eth_getTransactionCount', params: [owner.address, 'latest'] }),
    );
    const raw = await owner.signTransaction({
      type: 2,
      chainId,
      nonce,
      maxFeePerGas: 10n ** 11n,
      maxPriorityFeePerGas: 10n ** 9n,
      gasLimit: 6_000_000n,
      data: TwinRegistry__factory.bytecode,
    });
    const hash = (await chain.request({ method: 'eth_sendRawTransaction', params: [raw] })) as string;
    const receipt = (await chain.request({ method: 'eth_getTransactionReceipt', params: [hash] })) as {
      blockNumber: string;
      status: string;
    };
    if (receipt.status !== '0x1') throw new Error('registry deployment failed');
    const driver = new RegistryDriver(
      chain,
      chainId,
      getCreateAddress({ from: owner.address, nonce }),
      Number(receipt.blockNumber),
    );
    driver.nonces.set(owner.address, nonce + 1);
    return driver;
  }

  get deployment(): { chainId: number; registry: string; startBlock: number } {
    return { chainId: this.chainId, registry: this.registry, startBlock: this.startBlock };
  }

  /** Forgets cached nonces (after evm_revert the chain's are lower). */
  resetNonces(): void {
    this.nonces.clear();
  }

  private async nextNonce(wallet: Wallet | HDNodeWallet): Promise<number> {
    let nonce = this.nonces.get(wallet.address);
    if (nonce === undefined) {
      nonce = Number(
        await this.chain.request({ method: 'eth_getTransactionCount', params: [wallet.address, 'latest'] }),
      );
    }
    this.nonces.set(wallet.address, nonce + 1);
    return nonce;
  }

  /** Sends one registry call as `who`; answers the transaction hash. */
  async send(who: DemoRole, data: string): Promise<string> {
    const wallet = demoWallet(who);
    const raw = await wallet.signTransaction({
      type: 2,
      chainId: this.chainId,
      nonce: await this.nextNonce(wallet),
      maxFeePerGas: 10n ** 11n,
      maxPriorityFeePerGas: 10n ** 9n,
      gasLimit: 500_000n,
      to: this.registry,
      data,
    });
    return (await this.chain.request({ method: 'eth_sendRawTransaction', params: [raw] })) as string;
  }

  /** Sends every call into one block (automine off, then one evm_mine). */
  async block(calls: [DemoRole, string][]): Promise<void> {
    await this.chain.request({ method: 'evm_setAutomine', params: [false] });
    try {
      for (const [who, data] of calls) await this.send(who, data);
      await this.chain.request({ method: 'evm_mine', params: [] });
    } finally {
      await this.chain.request({ method: 'evm_setAutomine', params: [true] });
    }
  }

  static mint(owner: string, name: string): string {
    return registryInterface.encodeFunctionData('mintTwin', [owner, name, `twinledger:test/${name}`]);
  }

  static grant(twinId: number, role: number, account: string, expiresAt = 0): string {
    return registryInterface.encodeFunctionData('grantRole', [twinId, role, account, expiresAt]);
  }

  static revoke(twinId: number, role: number, account: string): string {
    return registryInterface.encodeFunctionData('revokeRole', [twinId, role, account]);
  }

  static endEngagement(twinId: number, account: string): string {
    return registryInterface.encodeFunctionData('endEngagement', [twinId, account]);
  }

  static commit(twinId: number, base: number, label: string): string {
    return registryInterface.encodeFunctionData('commitVersion', [
      twinId,
      base,
      keccak256(toUtf8Bytes(`root ${label}`)),
      keccak256(toUtf8Bytes(`changeset ${label}`)),
      `twinledger:package/${label}`,
    ]);
  }

  static logService(twinId: number, element: string, note: string): string {
    return registryInterface.encodeFunctionData('logService', [
      twinId,
      keccak256(toUtf8Bytes(element)),
      keccak256(toUtf8Bytes('inspection')).slice(0, 66),
      keccak256(toUtf8Bytes(note)),
      `twinledger:report/${note}`,
    ]);
  }
}

/**
 * A reproducible history: `twins` twins, each with grants to every demo role, `versions` commits
 * and some service logs, `perBlock` calls to a block. Answers the number of blocks written.
 */
export async function writeHistory(
  driver: RegistryDriver,
  options: { twins: number; versions: number; perBlock: number; seed?: number; label?: string },
): Promise<number> {
  const next = random(options.seed ?? 1);
  const owner = demoWallet('owner').address;
  const label = options.label ?? 'h';
  const calls: [DemoRole, string][] = [];
  const firstTwin =
    Number(
      (await driver.chain.request({
        method: 'eth_call',
        params: [{ to: driver.registry, data: registryInterface.encodeFunctionData('lastTwinId') }, 'latest'],
      })) as string,
    ) + 1;
  for (let t = 0; t < options.twins; t++)
    calls.push(['owner', RegistryDriver.mint(owner, `${label}-twin-${t}`)]);
  const blocks: [DemoRole, string][][] = [];
  const flush = (list: [DemoRole, string][]) => {
    for (let i = 0; i < list.length; i += options.perBlock) blocks.push(list.slice(i, i + options.perBlock));
  };
  flush(calls.splice(0));
  for (let t = 0; t < options.twins; t++) {
    const twinId = firstTwin + t;
    calls.push(['owner', RegistryDriver.grant(twinId, 1, demoWallet('engineer').address)]);
    calls.push(['owner', RegistryDriver.grant(twinId, 2, demoWallet('crew').address)]);
    calls.push([
      'owner',
      RegistryDriver.grant(
        twinId,
        3,
        demoWallet('planner').address,
        4_000_000_000 + Math.floor(next() * 1e6),
      ),
    ]);
  }
  flush(calls.splice(0));
  for (let v = 0; v < options.versions; v++) {
    for (let t = 0; t < options.twins; t++) {
      const twinId = firstTwin + t;
      calls.push(['engineer', RegistryDriver.commit(twinId, v, `${label}-${twinId}-${v}`)]);
      if (next() < 0.5)
        calls.push([
          'crew',
          RegistryDriver.logService(twinId, `element-${Math.floor(next() * 50)}`, `${label}-${v}-${t}`),
        ]);
      if (next() < 0.1)
        calls.push(['owner', RegistryDriver.revoke(twinId, 3, demoWallet('planner').address)]);
    }
  }
  flush(calls.splice(0));
  for (const block of blocks) await driver.block(block);
  return blocks.length;
}
