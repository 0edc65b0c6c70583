// EIP-712 definitions of TwinLedger's offline-signed intents, shared by the vault (which signs),
// the relayer and the contract tests, so that every signature is made over the same types.
// Plain objects only: usable by ethers' `signTypedData` and by @metamask/eth-sig-util.

/** Domain name and version of the TwinRegistry contract (chainId and verifyingContract vary). */
export const TWIN_REGISTRY_DOMAIN = { name: 'TwinLedger', version: '1' } as const;

/** The full EIP-712 domain of a deployed registry. */
export interface IntentDomain {
  name: string;
  version: string;
  chainId: bigint | number;
  verifyingContract: string;
}

/** Builds the domain of the registry deployed at `verifyingContract` on `chainId`. */
export function twinRegistryDomain(chainId: bigint | number, verifyingContract: string): IntentDomain {
  return { ...TWIN_REGISTRY_DOMAIN, chainId, verifyingContract };
}

/** One field of an EIP-712 struct (mutable arrays, as ethers' and eth-sig-util's signatures expect). */
export interface TypedField {
  name: string;
  type: string;
}

/** `CommitVersion`: an editor commits a new version of a twin on top of `baseVersion`. */
export const COMMIT_VERSION_TYPES: { CommitVersion: TypedField[] } = {
  CommitVersion: [
    { name: 'signer', type: 'address' },
    { name: 'twinId', type: 'uint256' },
    { name: 'baseVersion', type: 'uint64' },
    { name: 'modelRoot', type: 'bytes32' },
    { name: 'changesetHash', type: 'bytes32' },
    { name: 'packageUri', type: 'string' },
    { name: 'nonce', type: 'uint64' },
    { name: 'deadline', type: 'uint64' },
  ],
};

/** `LogService`: a maintainer logs service on an element (elementKey = keccak256(GlobalId)). */
export const LOG_SERVICE_TYPES: { LogService: TypedField[] } = {
  LogService: [
    { name: 'signer', type: 'address' },
    { name: 'twinId', type: 'uint256' },
    { name: 'elementKey', type: 'bytes32' },
    { name: 'kind', type: 'bytes32' },
    { name: 'reportHash', type: 'bytes32' },
    { name: 'uri', type: 'string' },
    { name: 'nonce', type: 'uint64' },
    { name: 'deadline', type: 'uint64' },
  ],
};

/** The EIP-712 domain type, for signers that need it spelled out (eth-sig-util, eth_signTypedData_v4). */
export const EIP712_DOMAIN_TYPE: TypedField[] = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
];

/** Message of a `CommitVersion` intent (hex strings for bytes32, bigint for integers). */
export interface CommitVersionIntent {
  signer: string;
  twinId: bigint;
  baseVersion: bigint;
  modelRoot: string;
  changesetHash: string;
  packageUri: string;
  nonce: bigint;
  deadline: bigint;
}

/** Message of a `LogService` intent. */
export interface LogServiceIntent {
  signer: string;
  twinId: bigint;
  elementKey: string;
  kind: string;
  reportHash: string;
  uri: string;
  nonce: bigint;
  deadline: bigint;
}

/** Role numbers as the contracts' `ITwinRoles.Role` enum defines them. */
export const TWIN_ROLES = { Admin: 0, Editor: 1, Maintainer: 2, Viewer: 3, Sensor: 4 } as const;
export type TwinRoleName = keyof typeof TWIN_ROLES;
