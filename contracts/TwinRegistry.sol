// SPDX-License-Identifier: MIT
// TwinLedger's registry: twins (ERC-721), expiring roles per twin, the version line with Merkle
// roots, service logs, and the same actions as offline-signed EIP-712 intents.
pragma solidity ^0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {ERC721Utils} from "@openzeppelin/contracts/token/ERC721/utils/ERC721Utils.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IntentRelay} from "./intents/IntentRelay.sol";
import {ITwinRegistry} from "./interfaces/ITwinRegistry.sol";
import {ITwinRoles} from "./interfaces/ITwinRoles.sol";
import {TwinMembership} from "./libraries/TwinMembership.sol";

/**
 * @title TwinRegistry
 * @author TwinLedger
 * @notice See {ITwinRegistry}. Storage is laid out for the cost of a commit: a version is one fresh
 * slot (its Merkle root) plus the twin's head; an account's roles and its intent nonce lane for a
 * twin share one slot ({TwinMembership}), so a relayed commit costs one more warm write than a
 * direct one. Everything else the app needs travels in events.
 */
contract TwinRegistry is ITwinRegistry, ERC721, IntentRelay {
    using TwinMembership for uint256;

    /// @notice EIP-712 type of {CommitVersionIntent}.
    bytes32 public constant COMMIT_VERSION_TYPEHASH = keccak256(
        "CommitVersion(address signer,uint256 twinId,uint64 baseVersion,bytes32 modelRoot,bytes32 changesetHash,"
        "string packageUri,uint64 nonce,uint64 deadline)"
    );

    /// @notice EIP-712 type of {LogServiceIntent}.
    bytes32 public constant LOG_SERVICE_TYPEHASH = keccak256(
        "LogService(address signer,uint256 twinId,bytes32 elementKey,bytes32 kind,bytes32 reportHash,string uri,"
        "uint64 nonce,uint64 deadline)"
    );

    struct TwinInfo {
        string name;
        string metadataUri;
    }

    uint256 private _lastTwinId;
    mapping(uint256 twinId => TwinInfo) private _twins;
    mapping(uint256 twinId => mapping(address account => uint256 membership)) private _memberships;
    /// @dev Versions 1..head have a non-zero root and later ones none: the line is contiguous, so
    /// the head needs no slot of its own (a commit on base `b` checks that `b` exists and `b + 1`
    /// does not, and writes one fresh slot).
    mapping(uint256 twinId => mapping(uint256 version => bytes32 modelRoot)) private _roots;

    /// @notice Deploys the registry with EIP-712 domain name "TwinLedger", version "1".
    constructor() ERC721("TwinLedger Twin", "TWIN") EIP712("TwinLedger", "1") {}

    // ------------------------------------------------------------------ twins

    /// @inheritdoc ITwinRegistry
    function mintTwin(address owner, string calldata name, string calldata metadataUri)
        external
        returns (uint256 twinId)
    {
        twinId = ++_lastTwinId;
        _twins[twinId] = TwinInfo(name, metadataUri);
        _mint(owner, twinId);
        emit TwinMinted(twinId, owner, name, metadataUri, msg.sender);
        ERC721Utils.checkOnERC721Received(msg.sender, address(0), owner, twinId, "");
    }

    /// @inheritdoc ITwinRegistry
    function setTwinMetadata(uint256 twinId, string calldata name, string calldata metadataUri) external {
        _checkAdmin(twinId, msg.sender);
        _twins[twinId] = TwinInfo(name, metadataUri);
        emit TwinMetadataUpdated(twinId, name, metadataUri, msg.sender);
    }

    /// @inheritdoc ITwinRegistry
    function twinName(uint256 twinId) external view returns (string memory) {
        _requireOwned(twinId);
        return _twins[twinId].name;
    }

    /// @inheritdoc ITwinRegistry
    function lastTwinId() external view returns (uint256) {
        return _lastTwinId;
    }

    /// @notice The twin's metadata URI.
    /// @param twinId The twin (must exist).
    /// @return The metadata URI given at mint or by {setTwinMetadata}.
    function tokenURI(uint256 twinId) public view override returns (string memory) {
        _requireOwned(twinId);
        return _twins[twinId].metadataUri;
    }

    /// @notice ERC-165: ERC-721, its metadata extension, and {ITwinRoles}.
    /// @param interfaceId The interface asked about.
    /// @return Whether it is supported.
    function supportsInterface(bytes4 interfaceId) public view override(ERC721, IERC165) returns (bool) {
        return interfaceId == type(ITwinRoles).interfaceId || super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------ roles

    /// @inheritdoc ITwinRoles
    function grantRole(uint256 twinId, Role role, address account, uint40 expiresAt) external {
        _checkAdmin(twinId, msg.sender);
        if (account == address(0)) revert TwinRoleAccountZero();
        if (expiresAt != 0 && expiresAt <= block.timestamp) revert TwinRoleExpiryInPast(expiresAt);
        uint40 stored = expiresAt == 0 ? TwinMembership.NO_EXPIRY : expiresAt;
        _memberships[twinId][account] = _memberships[twinId][account].withExpiry(role, stored);
        emit RoleGranted(twinId, account, role, expiresAt, msg.sender);
    }

    /// @inheritdoc ITwinRoles
    function revokeRole(uint256 twinId, Role role, address account) external {
        _checkAdmin(twinId, msg.sender);
        uint256 membership = _memberships[twinId][account];
        if (membership.expiryOf(role) == 0) return;
        _memberships[twinId][account] = membership.withExpiry(role, 0);
        emit RoleRevoked(twinId, account, role, msg.sender);
    }

    /// @inheritdoc ITwinRoles
    function endEngagement(uint256 twinId, address account) external {
        if (msg.sender == account) _requireOwned(twinId);
        else _checkAdmin(twinId, msg.sender);
        _memberships[twinId][account] = _memberships[twinId][account].withoutRoles();
        emit EngagementEnded(twinId, account, msg.sender);
    }

    /// @inheritdoc ITwinRoles
    function hasRole(uint256 twinId, Role role, address account) public view returns (bool) {
        if (_memberships[twinId][account].isLive(role, block.timestamp)) return true;
        return role == Role.Admin && account != address(0) && _ownerOf(twinId) == account;
    }

    /// @inheritdoc ITwinRoles
    function roleExpiresAt(uint256 twinId, Role role, address account) external view returns (uint40) {
        return _memberships[twinId][account].expiryOf(role);
    }

    // ------------------------------------------------------------------ versions

    /// @inheritdoc ITwinRegistry
    function commitVersion(
        uint256 twinId,
        uint64 baseVersion,
        bytes32 modelRoot,
        bytes32 changesetHash,
        string calldata packageUri
    ) external returns (uint64) {
        return _commitVersion(msg.sender, twinId, baseVersion, modelRoot, changesetHash, packageUri);
    }

    /// @inheritdoc ITwinRegistry
    function commitVersionBySig(CommitVersionIntent calldata intent, bytes calldata signature)
        external
        returns (uint64)
    {
        uint256 head;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            head := intent
        }
        bytes32 structHash = _hashIntent(COMMIT_VERSION_TYPEHASH, head, intent.packageUri);
        _useIntent(intent.signer, intent.twinId, intent.nonce, intent.deadline, structHash, signature);
        return _commitVersion(
            intent.signer, intent.twinId, intent.baseVersion, intent.modelRoot, intent.changesetHash, intent.packageUri
        );
    }

    /// @inheritdoc ITwinRegistry
    function verifyElement(
        uint256 twinId,
        uint64 version,
        bytes32 elementKey,
        bytes32 stateHash,
        bytes32[] calldata proof
    ) external view returns (bool) {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(elementKey, stateHash))));
        return MerkleProof.verifyCalldata(proof, versionRoot(twinId, version), leaf);
    }

    /// @inheritdoc ITwinRegistry
    function headVersion(uint256 twinId) external view returns (uint64) {
        mapping(uint256 => bytes32) storage roots = _roots[twinId];
        if (roots[1] == 0) return 0;
        // Double until a missing version, then bisect: O(log head) reads, for a view.
        uint256 low = 1;
        uint256 high = 2;
        while (roots[high] != 0) {
            low = high;
            high <<= 1;
        }
        while (high - low > 1) {
            uint256 mid = (low + high) >> 1;
            if (roots[mid] != 0) low = mid;
            else high = mid;
        }
        return uint64(low);
    }

    /// @inheritdoc ITwinRegistry
    function versionRoot(uint256 twinId, uint64 version) public view returns (bytes32 root) {
        root = _roots[twinId][version];
        if (root == 0) revert TwinVersionUnknown(twinId, version);
    }

    // ------------------------------------------------------------------ service logs

    /// @inheritdoc ITwinRegistry
    function logService(uint256 twinId, bytes32 elementKey, bytes32 kind, bytes32 reportHash, string calldata uri)
        external
    {
        _logService(msg.sender, twinId, elementKey, kind, reportHash, uri);
    }

    /// @inheritdoc ITwinRegistry
    function logServiceBySig(LogServiceIntent calldata intent, bytes calldata signature) external {
        uint256 head;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            head := intent
        }
        bytes32 structHash = _hashIntent(LOG_SERVICE_TYPEHASH, head, intent.uri);
        _useIntent(intent.signer, intent.twinId, intent.nonce, intent.deadline, structHash, signature);
        _logService(intent.signer, intent.twinId, intent.elementKey, intent.kind, intent.reportHash, intent.uri);
    }

    // ------------------------------------------------------------------ internals

    /**
     * @dev EIP-712 `hashStruct` of an intent at calldata offset `head`. Every intent of this
     * contract is eight one-word fields with its one string sixth, so its ABI head is the EIP-712
     * encoding except for the string's offset word, which is replaced by `keccak256(string)`.
     * Dirty (non-canonical) head words only make a digest no honest signer produced; the action
     * then reads each field through Solidity's ABI-validated accessors.
     */
    function _hashIntent(bytes32 typeHash, uint256 head, string calldata text)
        private
        pure
        returns (bytes32 structHash)
    {
        bytes32 textHash = keccak256(bytes(text));
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, typeHash)
            calldatacopy(add(m, 0x20), head, 0x100)
            mstore(add(m, 0xc0), textHash)
            structHash := keccak256(m, 0x120)
        }
    }

    function _commitVersion(
        address actor,
        uint256 twinId,
        uint64 baseVersion,
        bytes32 modelRoot,
        bytes32 changesetHash,
        string calldata packageUri
    ) private returns (uint64 version) {
        _checkRole(twinId, Role.Editor, actor);
        mapping(uint256 => bytes32) storage roots = _roots[twinId];
        if (baseVersion != 0 && roots[baseVersion] == 0) revert TwinVersionBaseMismatch(twinId, baseVersion);
        // The line is contiguous from 1, so an existing base is far below type(uint64).max.
        unchecked {
            version = baseVersion + 1;
        }
        if (roots[version] != 0) revert TwinVersionBaseMismatch(twinId, baseVersion);
        if (modelRoot == 0) revert TwinVersionRootZero();
        roots[version] = modelRoot;
        emit VersionCommitted(twinId, version, actor, modelRoot, changesetHash, packageUri, uint64(block.timestamp));
    }

    function _logService(
        address actor,
        uint256 twinId,
        bytes32 elementKey,
        bytes32 kind,
        bytes32 reportHash,
        string calldata uri
    ) private {
        _checkRole(twinId, Role.Maintainer, actor);
        emit ServiceLogged(twinId, elementKey, actor, kind, reportHash, uri, uint64(block.timestamp));
    }

    /// @dev Reverts with {TwinMissingRole} unless `account` holds a live `role` on `twinId`.
    function _checkRole(uint256 twinId, Role role, address account) private view {
        if (!_memberships[twinId][account].isLive(role, block.timestamp)) {
            revert TwinMissingRole(twinId, role, account);
        }
    }

    /// @dev Like {_checkRole} for ADMIN, which the owner always holds; reverts for a missing twin.
    function _checkAdmin(uint256 twinId, address account) private view {
        if (_requireOwned(twinId) == account) return;
        _checkRole(twinId, Role.Admin, account);
    }

    /// @inheritdoc IntentRelay
    function _useIntentNonce(address signer, uint256 twinId, uint64 nonce) internal override {
        uint256 membership = _memberships[twinId][signer];
        uint64 expected = membership.nonceOf();
        if (nonce != expected) revert IntentNonceMismatch(signer, twinId, expected);
        _memberships[twinId][signer] = membership.withNextNonce();
    }

    /// @inheritdoc IntentRelay
    function _intentNonce(address signer, uint256 twinId) internal view override returns (uint64) {
        return _memberships[twinId][signer].nonceOf();
    }

    /// @inheritdoc IntentRelay
    function _isIntentSelector(bytes4 selector) internal pure override returns (bool) {
        return selector == this.commitVersionBySig.selector || selector == this.logServiceBySig.selector;
    }

    /// @dev Emits {TwinTransferred} naming the actor when a twin changes hands (not at mint).
    function _update(address to, uint256 tokenId, address auth) internal override returns (address from) {
        from = super._update(to, tokenId, auth);
        if (from != address(0) && to != address(0)) emit TwinTransferred(tokenId, from, to, msg.sender);
    }
}
