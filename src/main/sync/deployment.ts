// Where TwinLedger's contracts live on the current chain: the deployment manifest (the format
// scripts/deploy.ts writes), the sandbox relayer account, and a small holder that tells the indexer
// and the relayer when the deployment becomes known or changes (sandbox seeding, network settings).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pbkdf2Sync } from 'node:crypto';
import { HDNodeWallet, Mnemonic, getAddress, pbkdf2 } from 'ethers';
import { z } from 'zod';
import { writeFileDurably } from '../services/durable-file';
import { DEMO_MNEMONIC } from '../vault/demo-identities';
import { AppError } from '../../shared/result';

const Address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const TxHash = z.string().regex(/^0x[0-9a-fA-F]{64}$/);

/** The manifest format of scripts/deploy.ts: one file per deployment. */
export const DeploymentManifest = z.object({
  format: z.literal(1),
  chainId: z.number().int().positive(),
  /** First block the indexer must read (the block of the first deployment transaction). */
  startBlock: z.number().int().nonnegative(),
  deployer: Address,
  deployedAt: z.string(),
  contracts: z.record(
    z.string(),
    z.object({
      address: Address,
      transactionHash: TxHash,
      blockNumber: z.number().int().nonnegative(),
      bytecodeSha256: z.string(),
    }),
  ),
  eip712: z.object({ name: z.string(), version: z.string() }),
});
export type DeploymentManifest = z.infer<typeof DeploymentManifest>;

/** The sandbox keeps its manifest beside the chain's journal: deleting the chain folder resets both. */
export function sandboxManifestPath(dataDir: string): string {
  return join(dataDir, 'chain', 'deployment.json');
}

/** Reads and validates a manifest; null when the file does not exist. */
export function readManifest(path: string): DeploymentManifest | null {
  if (!existsSync(path)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new AppError(
      'BAD_REQUEST',
      `The deployment manifest ${path} is not JSON (${(error as Error).message}).`,
    );
  }
  const parsed = DeploymentManifest.safeParse(raw);
  if (!parsed.success) {
    throw new AppError(
      'BAD_REQUEST',
      `The deployment manifest ${path} is not valid: ${parsed.error.issues[0]?.message}.`,
    );
  }
  if (!parsed.data.contracts.TwinRegistry) {
    throw new AppError('BAD_REQUEST', `The deployment manifest ${path} has no TwinRegistry.`);
  }
  return parsed.data;
}

export function writeManifest(path: string, manifest: DeploymentManifest): void {
  writeFileDurably(path, `${JSON.stringify(manifest, null, 2)}\n`);
}

/** What the indexer and the relayer need to know about the current deployment. */
export interface Deployment {
  mode: 'sandbox' | 'network';
  chainId: number;
  /** TwinRegistry's address (checksummed). */
  registry: string;
  /** First block to index. */
  startBlock: number;
  manifest: DeploymentManifest;
}

export function deploymentOf(mode: Deployment['mode'], manifest: DeploymentManifest): Deployment {
  const registry = manifest.contracts.TwinRegistry;
  if (!registry) throw new AppError('BAD_REQUEST', 'The deployment manifest has no TwinRegistry.');
  return {
    mode,
    chainId: manifest.chainId,
    registry: getAddress(registry.address),
    startBlock: manifest.startBlock,
    manifest,
  };
}

/**
 * The sandbox's relayer: a public test key (index 9 of the demo mnemonic), funded by seeding. It is
 * not a vault identity because it acts for nobody: it only pays gas for intents others signed.
 * Never valid outside the sandbox chain.
 */
export const SANDBOX_RELAYER_PATH = "m/44'/60'/0'/0/9";

let relayer: HDNodeWallet | undefined;
export function sandboxRelayerWallet(): HDNodeWallet {
  useNativePbkdf2();
  relayer ??= HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEMO_MNEMONIC), SANDBOX_RELAYER_PATH);
  return relayer;
}

let pbkdf2Registered = false;
/**
 * Gives ethers Node's native PBKDF2. Every wallet made from a recovery phrase (the demo identities,
 * the sandbox relayer) runs PBKDF2-HMAC-SHA512 with 2,048 rounds: about 75 ms each in JavaScript
 * here, 1 ms natively; five demo wallets at start-up were most of the time to the first answer.
 */
export function useNativePbkdf2(): void {
  if (pbkdf2Registered) return;
  pbkdf2Registered = true;
  pbkdf2.register(
    (password, salt, iterations, keylen, algo) =>
      new Uint8Array(pbkdf2Sync(password, salt, iterations, keylen, algo)),
  );
}

/** Holds the current deployment and tells listeners when it changes (null: none known yet). */
export class DeploymentState {
  private current: Deployment | null = null;
  private readonly listeners = new Set<(deployment: Deployment | null) => void>();

  get(): Deployment | null {
    return this.current;
  }

  set(next: Deployment | null): void {
    const same =
      next === this.current ||
      (next !== null &&
        this.current !== null &&
        next.chainId === this.current.chainId &&
        next.registry === this.current.registry &&
        next.startBlock === this.current.startBlock);
    this.current = next;
    if (same) return;
    for (const listener of [...this.listeners]) listener(next);
  }

  /** Calls `listener` on every change; answers the unsubscribe function. */
  subscribe(listener: (deployment: Deployment | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the deployment as soon as one is known. */
  ready(): Promise<Deployment> {
    if (this.current) return Promise.resolve(this.current);
    return new Promise((resolve) => {
      const off = this.subscribe((deployment) => {
        if (!deployment) return;
        off();
        resolve(deployment);
      });
    });
  }
}
