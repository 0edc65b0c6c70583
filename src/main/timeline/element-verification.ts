// "Verified on chain": is the element's state, as the version on screen holds it, in the chain's
// head version? The proof comes from the cached head version's Merkle tree and is checked by the
// registry itself (`verifyElement`, an eth_call through the chain main holds); offline, it is
// checked here against the root the indexer read from the chain.
import type { ElementVerification } from '../../shared/api/timeline';
import { verifyElementProof } from '../../shared/fingerprint';
import { AppError } from '../../shared/result';
import type { Eip1193Provider } from '../chain/embedded-chain';
import { proofFromNodes } from '../ifc/merkle';
import type { ChainIndex } from '../store/chain-index';
import type { TimelineQueries } from '../store/timeline-queries';
import type { TwinStore } from '../store/twin-store';
import { decodeIntentFailure, registryInterface } from '../sync/intents';
import { isUnreachable } from '../sync/relayer';

export interface VerificationSources {
  store: TwinStore;
  index: ChainIndex;
  queries: TimelineQueries;
  provider: () => Eip1193Provider | null;
  /** The registry's address, known offline too (deployment manifest). */
  registry: () => string | null;
}

const NOT_ON_CHAIN_YET = new Set(['draft', 'local', 'queued']);

export async function verifyElement(
  sources: VerificationSources,
  request: { twinId: string; versionId?: number; elementKey: string },
): Promise<ElementVerification> {
  const { store, index, queries } = sources;
  const key = request.elementKey.toLowerCase();
  const shown = store.resolveVersion(request.twinId, request.versionId);
  const shownHash = queries.stateHashIn(shown.id, key);
  if (shownHash === null)
    throw new AppError('NOT_FOUND', `Version ${shown.seq} of this twin has no element ${key}.`);
  const answer = (
    state: ElementVerification['state'],
    message: string,
    extra: Partial<ElementVerification> = {},
  ): ElementVerification => ({
    state,
    message,
    chainVersion: null,
    blockNumber: null,
    stateHash: shownHash,
    root: null,
    checkedAt: Date.now(),
    ...extra,
  });

  const chainTwinId = index.chainTwinOf(request.twinId);
  if (chainTwinId === null) return answer('pending', 'This twin is not registered on chain yet.');
  const head = index.twin(chainTwinId)?.headVersion ?? 0;
  const headRow = head > 0 ? index.versions(chainTwinId).find((v) => v.version === head) : undefined;
  if (!headRow)
    return answer('pending', 'No version of this twin is on chain yet (or the index is catching up).');
  const headInfo = { chainVersion: head, root: headRow.modelRoot };

  const headStore = queries.storeVersionWithRoot(request.twinId, headRow.modelRoot);
  if (!headStore) {
    return answer(
      'behind',
      `The chain's head is version ${head}, which this cache does not hold yet: its package has not been fetched.`,
      headInfo,
    );
  }
  const headHash = queries.stateHashIn(headStore.id, key);
  const draftLike = NOT_ON_CHAIN_YET.has(shown.status);
  if (headHash === null) {
    return draftLike
      ? answer(
          'pending',
          `Not on chain yet: this element was added in version ${shown.seq} (${shown.status}), after version ${head} on chain.`,
          headInfo,
        )
      : answer(
          'behind',
          `This element is not in version ${head}, the chain's head: it was removed since.`,
          headInfo,
        );
  }
  if (headHash.toLowerCase() !== shownHash.toLowerCase()) {
    return draftLike
      ? answer(
          'pending',
          `Not on chain yet: this element changed in version ${shown.seq} (${shown.status}); version ${head} on chain holds its earlier state.`,
          headInfo,
        )
      : answer(
          'behind',
          `Version ${shown.seq} shown here is older than version ${head} on chain, where this element changed.`,
          headInfo,
        );
  }

  const material = store.proofMaterial(request.twinId, headStore.id, key);
  const proof = proofFromNodes(material.nodes, material.leafIndex);
  const provider = sources.provider();
  const registry = sources.registry();
  if (provider && registry) {
    try {
      const call = async (data: string) =>
        (await provider.request({
          method: 'eth_call',
          params: [{ to: registry, data }, 'latest'],
        })) as string;
      const blockNumber = Number(await provider.request({ method: 'eth_blockNumber', params: [] }));
      const chainHead = Number(
        registryInterface.decodeFunctionResult(
          'headVersion',
          await call(registryInterface.encodeFunctionData('headVersion', [BigInt(chainTwinId)])),
        )[0],
      );
      if (chainHead > head) {
        return answer(
          'behind',
          `The chain has moved on to version ${chainHead}; the index is catching up (it knows version ${head}).`,
          { ...headInfo, blockNumber },
        );
      }
      const accepted = registryInterface.decodeFunctionResult(
        'verifyElement',
        await call(
          registryInterface.encodeFunctionData('verifyElement', [
            BigInt(chainTwinId),
            BigInt(head),
            key,
            headHash,
            proof,
          ]),
        ),
      )[0] as boolean;
      return accepted
        ? answer(
            'verified',
            `Verified on chain: the registry accepts this state as part of version ${head} (checked at block ${blockNumber}).`,
            { ...headInfo, blockNumber },
          )
        : answer(
            'mismatch',
            `The registry REFUSED the proof for version ${head}: the state shown here is not the one committed on chain.`,
            { ...headInfo, blockNumber },
          );
    } catch (error) {
      if (!isUnreachable(error)) {
        const data = revertData(error);
        const reason = data ? decodeIntentFailure(data).reason : (error as Error).message;
        return answer('mismatch', `The registry could not check version ${head}: ${reason}.`, headInfo);
      }
      // Unreachable: check locally below.
    }
  }
  const ok = verifyElementProof(headRow.modelRoot, key, headHash, proof);
  return ok
    ? answer(
        'local',
        `Checked here (the chain is offline): this state is in version ${head}, against the root indexed from block ${headRow.blockNumber}.`,
        { ...headInfo, blockNumber: headRow.blockNumber },
      )
    : answer(
        'mismatch',
        `The proof does NOT match the root of version ${head} indexed from the chain: the state shown here is not the one committed.`,
        { ...headInfo, blockNumber: headRow.blockNumber },
      );
}

/** Revert bytes of a failed call, wherever the provider put them (EDR nests them in data.data). */
export function revertData(error: unknown): string | null {
  const raw = (error as { data?: unknown } | null)?.data;
  if (typeof raw === 'string' && raw.startsWith('0x')) return raw;
  const nested = (raw as { data?: unknown } | null | undefined)?.data;
  return typeof nested === 'string' && nested.startsWith('0x') ? nested : null;
}
