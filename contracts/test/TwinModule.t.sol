// SPDX-License-Identifier: MIT
// A module beside the registry reuses its roles and intent machinery (OpenZeppelin NoncesKeyed lanes).
pragma solidity ^0.8.28;

import {TestBase} from "./utils/TestBase.sol";
import {MockPingModule} from "./mocks/MockPingModule.sol";
import {IIntentRelay} from "../interfaces/IIntentRelay.sol";
import {ITwinRoles} from "../interfaces/ITwinRoles.sol";

contract TwinModuleTest is TestBase {
    MockPingModule internal module;

    function setUp() public override {
        super.setUp();
        module = new MockPingModule(registry);
        vm.prank(owner);
        registry.grantRole(twin, ITwinRoles.Role.Viewer, stranger, 0);
    }

    function _pingIntent(address signer, uint64 nonce) internal view returns (MockPingModule.PingIntent memory) {
        return MockPingModule.PingIntent({signer: signer, twinId: twin, note: "hello", nonce: nonce, deadline: FAR});
    }

    function _signPing(uint256 key, MockPingModule.PingIntent memory intent) internal view returns (bytes memory) {
        bytes32 structHash = keccak256(
            abi.encode(module.PING_TYPEHASH(), intent.signer, intent.twinId, intent.note, intent.nonce, intent.deadline)
        );
        return _sign(key, keccak256(abi.encodePacked("\x19\x01", module.domainSeparator(), structHash)));
    }

    function test_ping_withRegistryRole_emits() public {
        vm.expectEmit(address(module));
        emit MockPingModule.Pinged(twin, stranger, owner, "hello");
        vm.prank(stranger);
        module.ping(twin, "hello");
        assertEq(address(module.registry()), address(registry), "registry");
    }

    function test_ping_withoutRole_revertsNamingRole() public {
        _expectMissingRole(twin, ITwinRoles.Role.Viewer, editor);
        vm.prank(editor);
        module.ping(twin, "hello");
    }

    function test_pingBySig_usesKeyedNonceLane() public {
        MockPingModule.PingIntent memory intent = _pingIntent(stranger, 0);
        bytes memory sig = _signPing(STRANGER_KEY, intent);
        module.pingBySig(intent, sig);
        assertEq(module.intentNonce(stranger, twin), 1, "sequence");
        assertEq(module.nonces(stranger, uint192(twin)), (uint256(twin) << 64) | 1, "OpenZeppelin packed nonce");
        vm.expectRevert(abi.encodeWithSelector(IIntentRelay.IntentNonceMismatch.selector, stranger, twin, 1));
        module.pingBySig(intent, sig);
    }

    function test_relayBatch_onModule_runsItsIntents() public {
        MockPingModule.PingIntent memory a = _pingIntent(stranger, 0);
        MockPingModule.PingIntent memory b = _pingIntent(stranger, 1);
        bytes[] memory calls = new bytes[](3);
        calls[0] = abi.encodeCall(module.pingBySig, (a, _signPing(STRANGER_KEY, a)));
        calls[1] = abi.encodeCall(module.pingBySig, (a, _signPing(STRANGER_KEY, a)));
        calls[2] = abi.encodeCall(module.pingBySig, (b, _signPing(STRANGER_KEY, b)));
        bool[] memory ok = module.relayBatch(calls);
        assertTrue(ok[0] && !ok[1] && ok[2], "replay in the middle fails alone");
    }
}
