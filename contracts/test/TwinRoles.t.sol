// SPDX-License-Identifier: MIT
// Roles per twin: granting, expiry at the moment of use, revocation, ending an engagement, and the
// owner's admin that can never be taken away.
pragma solidity ^0.8.28;

import {TestBase} from "./utils/TestBase.sol";
import {ITwinRegistry} from "../interfaces/ITwinRegistry.sol";
import {ITwinRoles} from "../interfaces/ITwinRoles.sol";
import {IERC721Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

contract TwinRolesTest is TestBase {
    function test_grantRole_emitsAndGrantsLiveRole() public {
        vm.expectEmit(address(registry));
        emit ITwinRoles.RoleGranted(twin, stranger, ITwinRoles.Role.Viewer, 0, owner);
        vm.prank(owner);
        registry.grantRole(twin, ITwinRoles.Role.Viewer, stranger, 0);
        assertTrue(registry.hasRole(twin, ITwinRoles.Role.Viewer, stranger), "viewer granted");
        assertTrue(!registry.hasRole(twin, ITwinRoles.Role.Editor, stranger), "other roles untouched");
        assertEq(registry.roleExpiresAt(twin, ITwinRoles.Role.Viewer, stranger), type(uint40).max, "no end");
    }

    function test_grantRole_byNonAdmin_revertsNamingAdmin() public {
        _expectMissingRole(twin, ITwinRoles.Role.Admin, editor);
        vm.prank(editor);
        registry.grantRole(twin, ITwinRoles.Role.Editor, stranger, 0);
    }

    function test_grantRole_onMissingTwin_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, 99));
        vm.prank(owner);
        registry.grantRole(99, ITwinRoles.Role.Editor, stranger, 0);
    }

    function test_grantRole_toZeroAddress_reverts() public {
        vm.expectRevert(ITwinRoles.TwinRoleAccountZero.selector);
        vm.prank(owner);
        registry.grantRole(twin, ITwinRoles.Role.Editor, address(0), 0);
    }

    function test_grantRole_withPastExpiry_reverts() public {
        uint40 past = uint40(block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(ITwinRoles.TwinRoleExpiryInPast.selector, past));
        vm.prank(owner);
        registry.grantRole(twin, ITwinRoles.Role.Editor, stranger, past);
    }

    function test_grantRole_byGrantedAdmin_succeeds() public {
        vm.prank(owner);
        registry.grantRole(twin, ITwinRoles.Role.Admin, stranger, 0);
        vm.prank(stranger);
        registry.grantRole(twin, ITwinRoles.Role.Viewer, relayer, 0);
        assertTrue(registry.hasRole(twin, ITwinRoles.Role.Viewer, relayer), "granted by delegated admin");
    }

    function test_hasRole_afterExpiry_isFalse() public {
        uint40 end = uint40(block.timestamp + 1 days);
        vm.prank(owner);
        registry.grantRole(twin, ITwinRoles.Role.Sensor, stranger, end);
        vm.warp(end - 1);
        assertTrue(registry.hasRole(twin, ITwinRoles.Role.Sensor, stranger), "live before end");
        vm.warp(end);
        assertTrue(!registry.hasRole(twin, ITwinRoles.Role.Sensor, stranger), "dead at end");
        assertEq(registry.roleExpiresAt(twin, ITwinRoles.Role.Sensor, stranger), end, "end kept for audit");
    }

    function test_hasRole_ownerIsAlwaysAdmin() public view {
        assertTrue(registry.hasRole(twin, ITwinRoles.Role.Admin, owner), "owner is admin");
        assertTrue(!registry.hasRole(twin, ITwinRoles.Role.Editor, owner), "owner is not implicitly editor");
        assertTrue(!registry.hasRole(twin, ITwinRoles.Role.Admin, address(0)), "zero is never admin");
        assertTrue(!registry.hasRole(42, ITwinRoles.Role.Admin, address(0)), "missing twin has no admin");
    }

    function test_revokeRole_removesRoleAndEmits() public {
        vm.expectEmit(address(registry));
        emit ITwinRoles.RoleRevoked(twin, editor, ITwinRoles.Role.Editor, owner);
        vm.prank(owner);
        registry.revokeRole(twin, ITwinRoles.Role.Editor, editor);
        assertTrue(!registry.hasRole(twin, ITwinRoles.Role.Editor, editor), "revoked");
        assertEq(registry.roleExpiresAt(twin, ITwinRoles.Role.Editor, editor), 0, "cleared");
    }

    function test_revokeRole_whenNotGranted_isNoop() public {
        vm.recordLogs();
        vm.prank(owner);
        registry.revokeRole(twin, ITwinRoles.Role.Sensor, stranger);
        assertEq(vm.getRecordedLogs().length, 0, "no event");
    }

    function test_revokeRole_ownersAdmin_ownerStaysAdmin() public {
        vm.startPrank(owner);
        registry.grantRole(twin, ITwinRoles.Role.Admin, owner, 0);
        registry.grantRole(twin, ITwinRoles.Role.Admin, stranger, 0);
        vm.stopPrank();
        vm.startPrank(stranger);
        registry.revokeRole(twin, ITwinRoles.Role.Admin, owner);
        registry.endEngagement(twin, owner);
        registry.revokeRole(twin, ITwinRoles.Role.Admin, stranger);
        vm.stopPrank();
        assertTrue(registry.hasRole(twin, ITwinRoles.Role.Admin, owner), "owner cannot be locked out");
        vm.prank(owner);
        registry.grantRole(twin, ITwinRoles.Role.Viewer, stranger, 0);
    }

    function test_endEngagement_dropsEveryRoleKeepsNonce() public {
        vm.startPrank(owner);
        registry.grantRole(twin, ITwinRoles.Role.Viewer, editor, 0);
        registry.grantRole(twin, ITwinRoles.Role.Sensor, editor, uint40(block.timestamp + 1 days));
        vm.stopPrank();
        // Use a nonce so that the lane is non-zero.
        ITwinRegistry.CommitVersionIntent memory intent = _commitIntent(editor, twin, 0, ROOT_1);
        registry.commitVersionBySig(intent, _signCommit(EDITOR_KEY, intent));
        vm.expectEmit(address(registry));
        emit ITwinRoles.EngagementEnded(twin, editor, owner);
        vm.prank(owner);
        registry.endEngagement(twin, editor);
        for (uint8 r = 0; r < 5; ++r) {
            assertTrue(!registry.hasRole(twin, ITwinRoles.Role(r), editor), "all roles dropped");
        }
        assertEq(registry.intentNonce(editor, twin), 1, "nonce lane survives");
    }

    function test_endEngagement_byAccountItself_resigns() public {
        vm.prank(maintainer);
        registry.endEngagement(twin, maintainer);
        assertTrue(!registry.hasRole(twin, ITwinRoles.Role.Maintainer, maintainer), "resigned");
    }

    function test_endEngagement_selfOnMissingTwin_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, 99));
        vm.prank(stranger);
        registry.endEngagement(99, stranger);
    }

    function test_endEngagement_byStranger_reverts() public {
        _expectMissingRole(twin, ITwinRoles.Role.Admin, stranger);
        vm.prank(stranger);
        registry.endEngagement(twin, editor);
    }

    function test_transfer_movesImplicitAdmin() public {
        vm.prank(owner);
        registry.transferFrom(owner, stranger, twin);
        assertTrue(registry.hasRole(twin, ITwinRoles.Role.Admin, stranger), "new owner is admin");
        assertTrue(!registry.hasRole(twin, ITwinRoles.Role.Admin, owner), "old owner is not");
        _expectMissingRole(twin, ITwinRoles.Role.Admin, owner);
        vm.prank(owner);
        registry.grantRole(twin, ITwinRoles.Role.Viewer, owner, 0);
    }

    /// @dev Fuzz: a grant with end `end` counts exactly while `now < end`.
    function testFuzz_hasRole_honoursExpiryAtUse(uint40 lifetime, uint40 elapsed, uint8 roleIndex) public {
        ITwinRoles.Role role = ITwinRoles.Role(roleIndex % 5);
        lifetime = uint40(bound(lifetime, 1, 100 * 365 days));
        uint40 end = uint40(block.timestamp) + lifetime;
        vm.prank(owner);
        registry.grantRole(twin, role, stranger, end);
        vm.warp(block.timestamp + elapsed);
        assertTrue(registry.hasRole(twin, role, stranger) == (block.timestamp < end), "live iff before end");
    }

    /// @dev Fuzz: roles are independent slots of one word; setting one never changes another.
    function testFuzz_grantRole_leavesOtherRolesIntact(uint8 a, uint8 b, uint40 endA, uint40 endB) public {
        ITwinRoles.Role roleA = ITwinRoles.Role(a % 5);
        ITwinRoles.Role roleB = ITwinRoles.Role(b % 5);
        vm.assume(roleA != roleB);
        endA = uint40(bound(endA, block.timestamp + 1, type(uint40).max));
        endB = uint40(bound(endB, block.timestamp + 1, type(uint40).max));
        vm.startPrank(owner);
        registry.grantRole(twin, roleA, stranger, endA);
        registry.grantRole(twin, roleB, stranger, endB);
        registry.revokeRole(twin, roleB, stranger);
        vm.stopPrank();
        assertEq(registry.roleExpiresAt(twin, roleA, stranger), endA, "A intact");
        assertEq(registry.roleExpiresAt(twin, roleB, stranger), 0, "B cleared");
    }

    function test_supportsInterface_erc721AndRoles() public view {
        assertTrue(registry.supportsInterface(type(ITwinRoles).interfaceId), "roles");
        assertTrue(registry.supportsInterface(0x80ac58cd), "erc721");
        assertTrue(!registry.supportsInterface(0xdeadbeef), "other");
    }
}
