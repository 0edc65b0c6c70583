// SPDX-License-Identifier: MIT
// The core of TwinLedger on chain: twins as ERC-721 tokens, their versions (Merkle roots) and the
// maintenance timeline, each action available directly or as an offline-signed intent.
pragma solidity ^0.8.28;

import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IIntentRelay} from "./IIntentRelay.sol";
import {ITwinRoles} from "./ITwinRoles.sol";

/**
 * @title ITwinRegistry
 * @author TwinLedger
 * @notice Twins, their version line and their service logs. A version is the Merkle root of the
 * twin's (elementKey, stateHash) leaves, encoded as OpenZeppelin's `StandardMerkleTree` encodes
 * `['bytes32', 'bytes32']`; versions form a line where each names its base (optimistic concurrency).
 */
interface ITwinRegistry is IERC721, ITwinRoles, IIntentRelay {
    /**
     * @notice A version commit signed offline by `signer` (EIP-712 type `CommitVersion`).
     * @param signer The editor who signed it (the actor).
     * @param twinId The twin.
     * @param baseVersion The head the edit was made on; must still be the head at relay time.
     * @param modelRoot Merkle root of the new version.
     * @param changesetHash Hash of the changeset from the base version.
     * @param packageUri Where the model package (content-addressed) can be fetched.
     * @param nonce Next nonce of the signer's lane for this twin.
     * @param deadline Unix time after which the intent is void.
     */
    struct CommitVersionIntent {
        address signer;
        uint256 twinId;
        uint64 baseVersion;
        bytes32 modelRoot;
        bytes32 changesetHash;
        string packageUri;
        uint64 nonce;
        uint64 deadline;
    }

    /**
     * @notice A service log signed offline by `signer` (EIP-712 type `LogService`).
     * @param signer The maintainer who signed it (the actor).
     * @param twinId The twin.
     * @param elementKey keccak256 of the element's IFC GlobalId.
     * @param kind What was done (a short label such as "inspection", as bytes32).
     * @param reportHash Hash of the service report.
     * @param uri Where the report can be fetched.
     * @param nonce Next nonce of the signer's lane for this twin.
     * @param deadline Unix time after which the intent is void.
     */
    struct LogServiceIntent {
        address signer;
        uint256 twinId;
        bytes32 elementKey;
        bytes32 kind;
        bytes32 reportHash;
        string uri;
        uint64 nonce;
        uint64 deadline;
    }

    /**
     * @notice A twin was created.
     * @param twinId The new twin's token id.
     * @param owner Its owner (and first admin).
     * @param name Its display name.
     * @param metadataUri Its metadata URI (`tokenURI`).
     * @param actor Who created it.
     */
    event TwinMinted(uint256 indexed twinId, address indexed owner, string name, string metadataUri, address actor);

    /**
     * @notice A twin's name or metadata URI changed.
     * @param twinId The twin.
     * @param name The new name.
     * @param metadataUri The new metadata URI.
     * @param actor The admin who changed them.
     */
    event TwinMetadataUpdated(uint256 indexed twinId, string name, string metadataUri, address actor);

    /**
     * @notice A twin changed owner (the new owner is now its implicit admin).
     * @param twinId The twin.
     * @param from The previous owner.
     * @param to The new owner.
     * @param actor Who moved it (the owner, an approved account or an operator).
     */
    event TwinTransferred(uint256 indexed twinId, address indexed from, address indexed to, address actor);

    /**
     * @notice A version became the twin's head. Carries everything needed to rebuild the history.
     * @param twinId The twin.
     * @param version The new version number (its base is `version - 1`).
     * @param actor The editor who committed it (the signer, when relayed).
     * @param modelRoot Merkle root of the version.
     * @param changesetHash Hash of the changeset from the base version.
     * @param packageUri Where the model package can be fetched.
     * @param committedAt Block timestamp of the commit.
     */
    event VersionCommitted(
        uint256 indexed twinId,
        uint64 indexed version,
        address indexed actor,
        bytes32 modelRoot,
        bytes32 changesetHash,
        string packageUri,
        uint64 committedAt
    );

    /**
     * @notice Service was logged on an element (the maintenance timeline).
     * @param twinId The twin.
     * @param elementKey keccak256 of the element's IFC GlobalId.
     * @param actor The maintainer who logged it (the signer, when relayed).
     * @param kind What was done.
     * @param reportHash Hash of the service report.
     * @param uri Where the report can be fetched.
     * @param loggedAt Block timestamp of the log.
     */
    event ServiceLogged(
        uint256 indexed twinId,
        bytes32 indexed elementKey,
        address indexed actor,
        bytes32 kind,
        bytes32 reportHash,
        string uri,
        uint64 loggedAt
    );

    /**
     * @notice The commit's base is not the twin's head: someone committed first (or the base does
     * not exist yet). Rebase on {headVersion} and retry.
     * @param twinId The twin.
     * @param baseVersion The base the commit named.
     */
    error TwinVersionBaseMismatch(uint256 twinId, uint64 baseVersion);

    /// @notice A version's Merkle root cannot be zero.
    error TwinVersionRootZero();

    /**
     * @notice The twin has no such version.
     * @param twinId The twin.
     * @param version The version asked for.
     */
    error TwinVersionUnknown(uint256 twinId, uint64 version);

    /**
     * @notice Creates a twin as a new token owned by `owner`, who is its first admin.
     * @param owner The owner of the new twin.
     * @param name Display name.
     * @param metadataUri Metadata URI returned by `tokenURI`.
     * @return twinId The new twin's id (sequential, from 1).
     */
    function mintTwin(address owner, string calldata name, string calldata metadataUri)
        external
        returns (uint256 twinId);

    /**
     * @notice Changes a twin's name and metadata URI. ADMIN only.
     * @param twinId The twin.
     * @param name New display name.
     * @param metadataUri New metadata URI.
     */
    function setTwinMetadata(uint256 twinId, string calldata name, string calldata metadataUri) external;

    /**
     * @notice Commits a new version on top of `baseVersion`, which must be the head. EDITOR only.
     * @param twinId The twin.
     * @param baseVersion The current head (0 before the first version).
     * @param modelRoot Merkle root of the new version (non-zero).
     * @param changesetHash Hash of the changeset from the base version.
     * @param packageUri Where the model package can be fetched.
     * @return version The new head (`baseVersion + 1`).
     */
    function commitVersion(
        uint256 twinId,
        uint64 baseVersion,
        bytes32 modelRoot,
        bytes32 changesetHash,
        string calldata packageUri
    ) external returns (uint64 version);

    /**
     * @notice Relays a version commit signed offline; the signer must be an EDITOR now.
     * @param intent The signed commit.
     * @param signature The signer's EIP-712 signature (65 bytes, or ERC-1271 for contract signers).
     * @return version The new head.
     */
    function commitVersionBySig(CommitVersionIntent calldata intent, bytes calldata signature)
        external
        returns (uint64 version);

    /**
     * @notice Logs service on an element. MAINTAINER only.
     * @param twinId The twin.
     * @param elementKey keccak256 of the element's IFC GlobalId.
     * @param kind What was done.
     * @param reportHash Hash of the service report.
     * @param uri Where the report can be fetched.
     */
    function logService(uint256 twinId, bytes32 elementKey, bytes32 kind, bytes32 reportHash, string calldata uri)
        external;

    /**
     * @notice Relays a service log signed offline; the signer must be a MAINTAINER now.
     * @param intent The signed service log.
     * @param signature The signer's EIP-712 signature.
     */
    function logServiceBySig(LogServiceIntent calldata intent, bytes calldata signature) external;

    /**
     * @notice Checks one element of one version against that version's Merkle root.
     * @param twinId The twin.
     * @param version The version.
     * @param elementKey keccak256 of the element's IFC GlobalId.
     * @param stateHash Hash of the element's canonical state.
     * @param proof The `StandardMerkleTree` proof of the (elementKey, stateHash) leaf.
     * @return True when the leaf belongs to the version.
     */
    function verifyElement(
        uint256 twinId,
        uint64 version,
        bytes32 elementKey,
        bytes32 stateHash,
        bytes32[] calldata proof
    ) external view returns (bool);

    /**
     * @notice The twin's head version (0 before the first commit).
     * @dev Found by search over the version roots (O(log head) storage reads): meant for eth_call;
     * contracts should rely on {commitVersion}'s own base check instead.
     * @param twinId The twin.
     * @return The head version number.
     */
    function headVersion(uint256 twinId) external view returns (uint64);

    /**
     * @notice The Merkle root of a committed version.
     * @param twinId The twin.
     * @param version The version (1..head).
     * @return The root; reverts with {TwinVersionUnknown} for a version that does not exist.
     */
    function versionRoot(uint256 twinId, uint64 version) external view returns (bytes32);

    /**
     * @notice A twin's display name.
     * @param twinId The twin (must exist).
     * @return The name.
     */
    function twinName(uint256 twinId) external view returns (string memory);

    /**
     * @notice The id of the last twin minted (the number of twins).
     * @return The last twin id, 0 when none.
     */
    function lastTwinId() external view returns (uint256);
}
