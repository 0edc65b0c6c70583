// SPDX-License-Identifier: MIT
// Shared fixture of the TwinLedger Solidity tests: a registry, named keys, intent signing and the
// assertions the tests need.
pragma solidity ^0.8.28;

// Test helpers revert with messages (readable failures) and keep the cheatcode handle's usual name.
/* solhint-disable gas-custom-errors, const-name-snakecase */

import {Vm} from "./Vm.sol";
import {TwinRegistry} from "../../TwinRegistry.sol";
import {ITwinRegistry} from "../../interfaces/ITwinRegistry.sol";
import {ITwinRoles} from "../../interfaces/ITwinRoles.sol";

abstract contract TestBase {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    uint256 internal constant OWNER_KEY = 0xA11CE;
    uint256 internal constant EDITOR_KEY = 0xED17;
    uint256 internal constant MAINTAINER_KEY = 0xC0EE;
    uint256 internal constant STRANGER_KEY = 0xBAD;

    address internal owner = vm.addr(OWNER_KEY);
    address internal editor = vm.addr(EDITOR_KEY);
    address internal maintainer = vm.addr(MAINTAINER_KEY);
    address internal stranger = vm.addr(STRANGER_KEY);
    address internal relayer = address(0xBEEF);

    uint64 internal constant FAR = type(uint64).max;
    bytes32 internal constant ROOT_1 = keccak256("root-1");
    bytes32 internal constant ROOT_2 = keccak256("root-2");
    bytes32 internal constant CHANGES = keccak256("changeset");
    string internal constant PACKAGE = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi";

    TwinRegistry internal registry;
    uint256 internal twin;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        registry = new TwinRegistry();
        vm.prank(owner);
        twin = registry.mintTwin(owner, "Duplex", "ipfs://meta/duplex");
        vm.startPrank(owner);
        registry.grantRole(twin, ITwinRoles.Role.Editor, editor, 0);
        registry.grantRole(twin, ITwinRoles.Role.Maintainer, maintainer, 0);
        vm.stopPrank();
    }

    // ---------------------------------------------------------------- intents

    function _domainSeparator(TwinRegistry target) internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("TwinLedger"),
                keccak256("1"),
                block.chainid,
                address(target)
            )
        );
    }

    function _commitIntent(address signer, uint256 twinId, uint64 base, bytes32 root)
        internal
        view
        returns (ITwinRegistry.CommitVersionIntent memory)
    {
        return ITwinRegistry.CommitVersionIntent({
            signer: signer,
            twinId: twinId,
            baseVersion: base,
            modelRoot: root,
            changesetHash: CHANGES,
            packageUri: PACKAGE,
            nonce: registry.intentNonce(signer, twinId),
            deadline: FAR
        });
    }

    function _commitDigest(TwinRegistry target, ITwinRegistry.CommitVersionIntent memory intent)
        internal
        view
        returns (bytes32)
    {
        bytes32 structHash = keccak256(
            abi.encode(
                target.COMMIT_VERSION_TYPEHASH(),
                intent.signer,
                intent.twinId,
                intent.baseVersion,
                intent.modelRoot,
                intent.changesetHash,
                keccak256(bytes(intent.packageUri)),
                intent.nonce,
                intent.deadline
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", _domainSeparator(target), structHash));
    }

    function _logDigest(TwinRegistry target, ITwinRegistry.LogServiceIntent memory intent)
        internal
        view
        returns (bytes32)
    {
        bytes32 structHash = keccak256(
            abi.encode(
                target.LOG_SERVICE_TYPEHASH(),
                intent.signer,
                intent.twinId,
                intent.elementKey,
                intent.kind,
                intent.reportHash,
                keccak256(bytes(intent.uri)),
                intent.nonce,
                intent.deadline
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", _domainSeparator(target), structHash));
    }

    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function _signCommit(uint256 key, ITwinRegistry.CommitVersionIntent memory intent)
        internal
        view
        returns (bytes memory)
    {
        return _sign(key, _commitDigest(registry, intent));
    }

    function _expectMissingRole(uint256 twinId, ITwinRoles.Role role, address account) internal {
        vm.expectRevert(abi.encodeWithSelector(ITwinRoles.TwinMissingRole.selector, twinId, role, account));
    }

    // ---------------------------------------------------------------- fuzzing

    /// @dev Maps `x` into [min, max] without discarding runs.
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        if (x >= min && x <= max) return x;
        return min + (x % (max - min + 1));
    }

    // ---------------------------------------------------------------- assertions

    function assertTrue(bool condition, string memory message) internal pure {
        require(condition, message);
    }

    function assertEq(uint256 a, uint256 b, string memory message) internal pure {
        if (a != b) revert(string.concat(message, ": ", _str(a), " != ", _str(b)));
    }

    function assertEq(bytes32 a, bytes32 b, string memory message) internal pure {
        require(a == b, message);
    }

    function assertEq(address a, address b, string memory message) internal pure {
        require(a == b, message);
    }

    function assertEq(bytes memory a, bytes memory b, string memory message) internal pure {
        require(keccak256(a) == keccak256(b), message);
    }

    function _str(uint256 value) private pure returns (string memory) {
        if (value == 0) return "0";
        bytes memory buffer = new bytes(78);
        uint256 length;
        while (value != 0) {
            buffer[77 - length++] = bytes1(uint8(48 + (value % 10)));
            value /= 10;
        }
        bytes memory out = new bytes(length);
        for (uint256 i = 0; i < length; ++i) out[i] = buffer[78 - length + i];
        return string(out);
    }
}
