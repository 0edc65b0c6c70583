// Shared fixture of the TypeScript contract tests: a fresh in-process chain, the registry deployed
// through the generated factory, and named keys for the roles.
import type {} from '@nomicfoundation/hardhat-ethers';
import type {} from '@nomicfoundation/hardhat-network-helpers';
import { network } from 'hardhat';
import { Wallet, type BaseContract } from 'ethers';
import { TwinRegistry__factory, type TwinRegistry } from '../../src/main/chain/generated';
import {
  COMMIT_VERSION_TYPES,
  TWIN_ROLES,
  twinRegistryDomain,
  type CommitVersionIntent,
  type IntentDomain,
} from '../../src/shared/eip712';

export const EDITOR_KEY = '0x' + 'e1'.repeat(32);
export const MAINTAINER_KEY = '0x' + 'a2'.repeat(32);
export const PACKAGE_URI = 'ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi';
export const FAR = 2n ** 40n;

export async function deployFixture() {
  const connection = await network.create();
  const { ethers } = connection;
  const [owner, relayer, stranger] = await ethers.getSigners();
  if (!owner || !relayer || !stranger) throw new Error('need three accounts');
  const registry = await new TwinRegistry__factory(owner).deploy();
  await registry.waitForDeployment();
  const address = await registry.getAddress();
  const { chainId } = await ethers.provider.getNetwork();
  const editor = new Wallet(EDITOR_KEY);
  const maintainer = new Wallet(MAINTAINER_KEY);
  await (await registry.mintTwin(owner.address, 'Duplex', 'ipfs://meta/duplex')).wait();
  const twinId = await registry.lastTwinId();
  await (await registry.grantRole(twinId, TWIN_ROLES.Editor, editor.address, 0)).wait();
  await (await registry.grantRole(twinId, TWIN_ROLES.Maintainer, maintainer.address, 0)).wait();
  const domain = twinRegistryDomain(chainId, address);
  return {
    connection,
    ethers,
    owner,
    relayer,
    stranger,
    registry,
    address,
    chainId,
    domain,
    editor,
    maintainer,
    twinId,
  };
}

export async function commitIntent(
  registry: TwinRegistry,
  signer: string,
  twinId: bigint,
  modelRoot: string,
  changesetHash: string,
): Promise<CommitVersionIntent> {
  return {
    signer,
    twinId,
    baseVersion: await registry.headVersion(twinId),
    modelRoot,
    changesetHash,
    packageUri: PACKAGE_URI,
    nonce: await registry.intentNonce(signer, twinId),
    deadline: FAR,
  };
}

export function signCommit(
  wallet: Wallet,
  domain: IntentDomain,
  intent: CommitVersionIntent,
): Promise<string> {
  return wallet.signTypedData(domain, COMMIT_VERSION_TYPES, intent);
}

/** The custom error a failed call reverted with, decoded with `contract`'s ABI. */
export function revertOf(contract: BaseContract, error: unknown): { name: string; args: unknown[] } | null {
  const e = error as {
    data?: unknown;
    error?: { data?: unknown };
    revert?: { name: string; args: unknown[] };
  };
  if (e.revert) return { name: e.revert.name, args: [...e.revert.args] };
  for (const candidate of [e.data, (e.data as { data?: unknown } | undefined)?.data, e.error?.data]) {
    if (typeof candidate === 'string' && candidate.startsWith('0x')) {
      const parsed = contract.interface.parseError(candidate);
      if (parsed) return { name: parsed.name, args: [...parsed.args] };
    }
  }
  return null;
}
