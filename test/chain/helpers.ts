// Shared pieces of the chain tests: temp folders, a funded signer and two tiny hand-assembled
// contracts (one that reverts with a custom error, one that emits a log), so no compiler is needed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { id, type Wallet, type HDNodeWallet } from 'ethers';
import type { EmbeddedChain } from '../../src/main/chain/embedded-chain';
import { demoWallet } from '../../src/main/vault/demo-identities';

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `twinledger-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `error RoleMissing(uint256 code)`: the deployed code always reverts with RoleMissing(42). */
export const ROLE_MISSING_ABI = ['error RoleMissing(uint256 code)', 'function poke()'];
const selector = id('RoleMissing(uint256)').slice(2, 10);
const reverterRuntime = `63${selector}60e01b600052602a60045260246000fd`;
/** Emits one LOG0 per call. */
const loggerRuntime = '60006000a000';

/** Init code that returns `runtime` as the contract's code. */
export function initCode(runtime: string): string {
  const length = (runtime.length / 2).toString(16).padStart(2, '0');
  return `0x60${length}600c60003960${length}6000f3${runtime}`;
}
export const REVERTER_INIT = initCode(reverterRuntime);
export const LOGGER_INIT = initCode(loggerRuntime);

/** Signs raw EIP-1559 transactions with explicit nonces: fast and independent of the provider. */
export class RawSender {
  nonce = 0;
  constructor(
    readonly wallet: Wallet | HDNodeWallet,
    private readonly chainId: number,
  ) {}

  static owner(chainId: number): RawSender {
    return new RawSender(demoWallet('owner'), chainId);
  }

  sign(tx: { to?: string; data?: string; value?: bigint; gasLimit?: bigint }): Promise<string> {
    return this.wallet.signTransaction({
      type: 2,
      chainId: this.chainId,
      nonce: this.nonce++,
      maxFeePerGas: 10n ** 10n,
      maxPriorityFeePerGas: 10n ** 9n,
      gasLimit: tx.gasLimit ?? 200_000n,
      ...(tx.to ? { to: tx.to } : {}),
      data: tx.data ?? '0x',
      value: tx.value ?? 0n,
    });
  }

  async send(chain: Pick<EmbeddedChain, 'request'>, tx: Parameters<RawSender['sign']>[0]): Promise<string> {
    return (await chain.request({
      method: 'eth_sendRawTransaction',
      params: [await this.sign(tx)],
    })) as string;
  }

  async deploy(chain: Pick<EmbeddedChain, 'request'>, init: string): Promise<string> {
    const hash = await this.send(chain, { data: init });
    const receipt = (await chain.request({ method: 'eth_getTransactionReceipt', params: [hash] })) as {
      contractAddress: string;
    };
    return receipt.contractAddress;
  }
}

export async function balanceOf(chain: Pick<EmbeddedChain, 'request'>, address: string): Promise<bigint> {
  return BigInt((await chain.request({ method: 'eth_getBalance', params: [address, 'latest'] })) as string);
}
