// Building and signing the registry's intents: the EIP-712 message (src/shared/eip712.ts), the
// vault's signature with its summary in words, the encoded `...BySig` call relayBatch runs, and
// the reverse: a failed intent's revert bytes decoded and said in words.
import { encodeBytes32String, getAddress, type TypedDataField } from 'ethers';
import { TwinRegistry__factory } from '../chain/generated/types/factories/TwinRegistry__factory';
import {
  COMMIT_VERSION_TYPES,
  LOG_SERVICE_TYPES,
  TWIN_ROLES,
  twinRegistryDomain,
  type CommitVersionIntent,
  type LogServiceIntent,
} from '../../shared/eip712';
import { AppError } from '../../shared/result';
import type { Vault } from '../vault/vault';

export const registryInterface = TwinRegistry__factory.createInterface();

export interface IntentTarget {
  chainId: number;
  registry: string;
}

export interface SignedIntent {
  signer: string;
  /** The message, integers as decimal strings (JSON-safe, and what the outbox stores). */
  message: Record<string, string>;
  signature: string;
  digest: string;
  /** The `...BySig(intent, signature)` call, ready for relayBatch. */
  calldata: string;
  /** What was signed, in words: a title line and the vault's field-by-field text. */
  summary: string;
}

type Message = CommitVersionIntent | LogServiceIntent;

const toStrings = (message: Message): Record<string, string> =>
  Object.fromEntries(
    Object.entries(message).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString(10) : String(v)]),
  );

export function commitMessageFrom(stored: Record<string, string>): CommitVersionIntent {
  return {
    signer: stored.signer!,
    twinId: BigInt(stored.twinId!),
    baseVersion: BigInt(stored.baseVersion!),
    modelRoot: stored.modelRoot!,
    changesetHash: stored.changesetHash!,
    packageUri: stored.packageUri!,
    nonce: BigInt(stored.nonce!),
    deadline: BigInt(stored.deadline!),
  };
}

export function logMessageFrom(stored: Record<string, string>): LogServiceIntent {
  return {
    signer: stored.signer!,
    twinId: BigInt(stored.twinId!),
    elementKey: stored.elementKey!,
    kind: stored.kind!,
    reportHash: stored.reportHash!,
    uri: stored.uri!,
    nonce: BigInt(stored.nonce!),
    deadline: BigInt(stored.deadline!),
  };
}

/** A service kind ("inspection") as the bytes32 the contract stores; at most 31 bytes of UTF-8. */
export function serviceKindBytes(kind: string): string {
  try {
    return encodeBytes32String(kind);
  } catch {
    throw new AppError('BAD_REQUEST', `The service kind "${kind}" is too long (at most 31 bytes).`);
  }
}

async function sign(
  vault: Vault,
  identityId: string | undefined,
  target: IntentTarget,
  types: Record<string, TypedDataField[]>,
  message: Message,
  title: string,
  encode: (signature: string) => string,
): Promise<SignedIntent> {
  const signed = await vault.signTypedData({
    ...(identityId ? { identityId } : {}),
    domain: twinRegistryDomain(target.chainId, target.registry),
    types,
    message: message as unknown as Record<string, unknown>,
  });
  if (getAddress(signed.signer) !== getAddress(message.signer)) {
    throw new AppError('FORBIDDEN', 'The identity that signed is not the one named in the intent.');
  }
  return {
    signer: getAddress(signed.signer),
    message: toStrings(message),
    signature: signed.signature,
    digest: signed.digest.toLowerCase(),
    calldata: encode(signed.signature),
    summary: `${title}\n${signed.summary.text}`,
  };
}

export function signCommitVersion(
  vault: Vault,
  identityId: string | undefined,
  target: IntentTarget,
  message: CommitVersionIntent,
  title: string,
): Promise<SignedIntent> {
  return sign(vault, identityId, target, COMMIT_VERSION_TYPES, message, title, (signature) =>
    registryInterface.encodeFunctionData('commitVersionBySig', [message, signature]),
  );
}

export function signLogService(
  vault: Vault,
  identityId: string | undefined,
  target: IntentTarget,
  message: LogServiceIntent,
  title: string,
): Promise<SignedIntent> {
  return sign(vault, identityId, target, LOG_SERVICE_TYPES, message, title, (signature) =>
    registryInterface.encodeFunctionData('logServiceBySig', [message, signature]),
  );
}

export function relayBatchCalldata(calls: readonly string[]): string {
  return registryInterface.encodeFunctionData('relayBatch', [[...calls]]);
}

// ---- failures in words ---------------------------------------------------------------------------

/** How the outbox treats a failure: for good, a conflict to look at, or worth signing again. */
export type FailureClass = 'permanent' | 'baseMoved' | 'nonce' | 'expired' | 'unknown';

export interface DecodedFailure {
  /** The custom error's name (TwinMissingRole...), or 'Error' / 'Panic' / 'Unknown'. */
  code: string;
  args: Record<string, string>;
  reason: string;
  kind: FailureClass;
}

const ROLE_NAMES = Object.fromEntries(Object.entries(TWIN_ROLES).map(([name, n]) => [n, name.toUpperCase()]));

/** Decodes an intent's revert bytes (IntentFailed.reason, or a failed call's data) into words. */
export function decodeIntentFailure(reason: string): DecodedFailure {
  let parsed: ReturnType<typeof registryInterface.parseError> = null;
  try {
    parsed = reason && reason !== '0x' ? registryInterface.parseError(reason) : null;
  } catch {
    parsed = null;
  }
  if (!parsed) {
    return {
      code: 'Unknown',
      args: {},
      reason:
        reason && reason !== '0x'
          ? `the registry refused it (${reason.slice(0, 10)})`
          : 'the registry refused it without a reason',
      kind: 'unknown',
    };
  }
  const args: Record<string, string> = {};
  parsed.fragment.inputs.forEach((input, i) => {
    args[input.name || String(i)] = String(parsed!.args[i]);
  });
  const words = (text: string, kind: FailureClass): DecodedFailure => ({
    code: parsed!.name,
    args,
    reason: text,
    kind,
  });
  switch (parsed.name) {
    case 'TwinMissingRole': {
      const role = ROLE_NAMES[Number(args.role)] ?? `role ${args.role}`;
      return words(`your ${role} role on this twin has ended or was revoked`, 'permanent');
    }
    case 'TwinVersionBaseMismatch':
      return words(
        `version ${args.baseVersion} is no longer the twin's head: someone committed first`,
        'baseMoved',
      );
    case 'IntentNonceMismatch':
      return words(
        `the signature's place in line is taken (the chain expects nonce ${args.expected})`,
        'nonce',
      );
    case 'IntentExpired':
      return words(
        `the signature expired on ${new Date(Number(args.deadline) * 1000).toISOString().slice(0, 10)}`,
        'expired',
      );
    case 'IntentInvalidSignature':
      return words('the signature does not match the signer, this chain or this registry', 'permanent');
    case 'TwinVersionRootZero':
      return words('the version has no Merkle root', 'permanent');
    case 'TwinVersionUnknown':
      return words(`twin ${args.twinId} has no version ${args.version}`, 'permanent');
    case 'ERC721NonexistentToken':
      return words(`twin ${args.tokenId} does not exist on this chain`, 'permanent');
    case 'IntentNotRelayable':
      return words('the registry does not accept this kind of intent', 'permanent');
    default:
      return words(`the registry refused it (${parsed.name})`, 'permanent');
  }
}
