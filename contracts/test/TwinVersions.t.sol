// SPDX-License-Identifier: MIT
// Twins and their version line: minting, optimistic concurrency on commits, Merkle verification of
// one element against a version, and service logs.
pragma solidity ^0.8.28;

import {TestBase} from "./utils/TestBase.sol";
import {ITwinRegistry} from "../interfaces/ITwinRegistry.sol";
import {ITwinRoles} from "../interfaces/ITwinRoles.sol";
import {IERC721Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

contract RejectingReceiver {}

contract TwinVersionsTest is TestBase {
    bytes32 internal constant KEY_A = keccak256("2O2Fr$t4X7Zf8NOew3FLOH");
    bytes32 internal constant KEY_B = keccak256("1hOSvn6df7F8_7GcBWlR72");

    function test_mintTwin_assignsSequentialIdsAndMetadata() public {
        vm.expectEmit(address(registry));
        emit ITwinRegistry.TwinMinted(2, stranger, "Office A", "ipfs://meta/a", editor);
        vm.prank(editor);
        uint256 id = registry.mintTwin(stranger, "Office A", "ipfs://meta/a");
        assertEq(id, 2, "second twin");
        assertEq(registry.lastTwinId(), 2, "last id");
        assertEq(registry.ownerOf(id), stranger, "owner");
        assertEq(bytes(registry.twinName(id)), bytes("Office A"), "name");
        assertEq(bytes(registry.tokenURI(id)), bytes("ipfs://meta/a"), "uri");
        assertEq(registry.headVersion(id), 0, "no version yet");
    }

    function test_mintTwin_toContractWithoutReceiver_reverts() public {
        RejectingReceiver receiver = new RejectingReceiver();
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721InvalidReceiver.selector, address(receiver)));
        registry.mintTwin(address(receiver), "x", "y");
    }

    function test_twinName_ofMissingTwin_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, 7));
        registry.twinName(7);
    }

    function test_setTwinMetadata_byAdmin_updates() public {
        vm.expectEmit(address(registry));
        emit ITwinRegistry.TwinMetadataUpdated(twin, "Duplex B", "ipfs://meta/b", owner);
        vm.prank(owner);
        registry.setTwinMetadata(twin, "Duplex B", "ipfs://meta/b");
        assertEq(bytes(registry.twinName(twin)), bytes("Duplex B"), "name");
        assertEq(bytes(registry.tokenURI(twin)), bytes("ipfs://meta/b"), "uri");
    }

    function test_setTwinMetadata_byEditor_reverts() public {
        _expectMissingRole(twin, ITwinRoles.Role.Admin, editor);
        vm.prank(editor);
        registry.setTwinMetadata(twin, "x", "y");
    }

    function test_transferFrom_emitsTwinTransferredWithActor() public {
        vm.prank(owner);
        registry.setApprovalForAll(relayer, true);
        vm.expectEmit(address(registry));
        emit ITwinRegistry.TwinTransferred(twin, owner, stranger, relayer);
        vm.prank(relayer);
        registry.transferFrom(owner, stranger, twin);
    }

    function test_commitVersion_byEditor_advancesHeadAndEmits() public {
        vm.expectEmit(address(registry));
        emit ITwinRegistry.VersionCommitted(twin, 1, editor, ROOT_1, CHANGES, PACKAGE, uint64(block.timestamp));
        vm.prank(editor);
        uint64 version = registry.commitVersion(twin, 0, ROOT_1, CHANGES, PACKAGE);
        assertEq(version, 1, "returns new head");
        assertEq(registry.headVersion(twin), 1, "head");
        assertEq(registry.versionRoot(twin, 1), ROOT_1, "root stored");
    }

    function test_commitVersion_onStaleBase_revertsWithMismatch() public {
        vm.startPrank(editor);
        registry.commitVersion(twin, 0, ROOT_1, CHANGES, PACKAGE);
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.TwinVersionBaseMismatch.selector, twin, 0));
        registry.commitVersion(twin, 0, ROOT_2, CHANGES, PACKAGE);
        vm.stopPrank();
    }

    function test_commitVersion_onFutureBase_revertsWithMismatch() public {
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.TwinVersionBaseMismatch.selector, twin, 3));
        vm.prank(editor);
        registry.commitVersion(twin, 3, ROOT_1, CHANGES, PACKAGE);
    }

    function test_commitVersion_withZeroRoot_reverts() public {
        vm.expectRevert(ITwinRegistry.TwinVersionRootZero.selector);
        vm.prank(editor);
        registry.commitVersion(twin, 0, bytes32(0), CHANGES, PACKAGE);
    }

    function test_commitVersion_byMaintainer_revertsNamingEditor() public {
        _expectMissingRole(twin, ITwinRoles.Role.Editor, maintainer);
        vm.prank(maintainer);
        registry.commitVersion(twin, 0, ROOT_1, CHANGES, PACKAGE);
    }

    function test_commitVersion_byOwnerWithoutEditorRole_reverts() public {
        _expectMissingRole(twin, ITwinRoles.Role.Editor, owner);
        vm.prank(owner);
        registry.commitVersion(twin, 0, ROOT_1, CHANGES, PACKAGE);
    }

    function test_commitVersion_afterEditorExpiry_reverts() public {
        vm.prank(owner);
        registry.grantRole(twin, ITwinRoles.Role.Editor, editor, uint40(block.timestamp + 1 hours));
        vm.warp(block.timestamp + 1 hours);
        _expectMissingRole(twin, ITwinRoles.Role.Editor, editor);
        vm.prank(editor);
        registry.commitVersion(twin, 0, ROOT_1, CHANGES, PACKAGE);
    }

    function test_versionRoot_ofMissingVersion_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.TwinVersionUnknown.selector, twin, 1));
        registry.versionRoot(twin, 1);
    }

    /// @dev Fuzz: after n commits the head is n and every version keeps its own root.
    function testFuzz_commitVersion_headEqualsCommitCount(uint8 count) public {
        uint256 n = bound(count, 0, 40);
        vm.startPrank(editor);
        for (uint256 i = 0; i < n; ++i) {
            registry.commitVersion(twin, uint64(i), keccak256(abi.encode(i)), CHANGES, PACKAGE);
        }
        vm.stopPrank();
        assertEq(registry.headVersion(twin), n, "head");
        for (uint256 i = 1; i <= n; ++i) {
            assertEq(registry.versionRoot(twin, uint64(i)), keccak256(abi.encode(i - 1)), "root");
        }
    }

    /// @dev Fuzz: only the head is accepted as a base.
    function testFuzz_commitVersion_acceptsOnlyHeadAsBase(uint64 base) public {
        vm.startPrank(editor);
        registry.commitVersion(twin, 0, ROOT_1, CHANGES, PACKAGE);
        registry.commitVersion(twin, 1, ROOT_2, CHANGES, PACKAGE);
        if (base != 2) {
            vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.TwinVersionBaseMismatch.selector, twin, base));
        }
        registry.commitVersion(twin, base, ROOT_1, CHANGES, PACKAGE);
        vm.stopPrank();
    }

    // ---------------------------------------------------------------- Merkle

    /// @dev Two-leaf StandardMerkleTree: leaf = keccak(keccak(abi.encode(key, state))), pairs sorted.
    function _leaf(bytes32 key, bytes32 state) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(key, state))));
    }

    function _pair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    function test_verifyElement_withValidProof_isTrue() public {
        bytes32 leafA = _leaf(KEY_A, keccak256("state-a"));
        bytes32 leafB = _leaf(KEY_B, keccak256("state-b"));
        vm.prank(editor);
        registry.commitVersion(twin, 0, _pair(leafA, leafB), CHANGES, PACKAGE);
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = leafB;
        assertTrue(registry.verifyElement(twin, 1, KEY_A, keccak256("state-a"), proof), "A in version 1");
        assertTrue(!registry.verifyElement(twin, 1, KEY_A, keccak256("state-x"), proof), "wrong state");
        assertTrue(!registry.verifyElement(twin, 1, KEY_B, keccak256("state-a"), proof), "wrong key");
    }

    function test_verifyElement_onMissingVersion_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.TwinVersionUnknown.selector, twin, 5));
        registry.verifyElement(twin, 5, KEY_A, bytes32(0), new bytes32[](0));
    }

    // ---------------------------------------------------------------- service logs

    function test_logService_byMaintainer_emits() public {
        vm.expectEmit(address(registry));
        emit ITwinRegistry.ServiceLogged(
            twin, KEY_A, maintainer, "inspection", ROOT_1, "ipfs://r", uint64(block.timestamp)
        );
        vm.prank(maintainer);
        registry.logService(twin, KEY_A, "inspection", ROOT_1, "ipfs://r");
    }

    function test_logService_byEditor_revertsNamingMaintainer() public {
        _expectMissingRole(twin, ITwinRoles.Role.Maintainer, editor);
        vm.prank(editor);
        registry.logService(twin, KEY_A, "inspection", ROOT_1, "ipfs://r");
    }
}
