// SPDX-License-Identifier: MIT
// Offline-signed intents: one use, on one chain, on one contract; role checked for the signer at
// relay time; lanes per (signer, twin); contract signers; and the batch relay.
pragma solidity ^0.8.28;

import {TestBase} from "./utils/TestBase.sol";
import {Vm} from "./utils/Vm.sol";
import {MockWallet} from "./mocks/MockWallet.sol";
import {TwinRegistry} from "../TwinRegistry.sol";
import {IIntentRelay} from "../interfaces/IIntentRelay.sol";
import {ITwinRegistry} from "../interfaces/ITwinRegistry.sol";
import {ITwinRoles} from "../interfaces/ITwinRoles.sol";

contract TwinIntentsTest is TestBase {
    bytes32 internal constant ELEMENT = keccak256("2O2Fr$t4X7Zf8NOew3FLOH");

    function _logIntent(address signer) internal view returns (ITwinRegistry.LogServiceIntent memory) {
        return ITwinRegistry.LogServiceIntent({
            signer: signer,
            twinId: twin,
            elementKey: ELEMENT,
            kind: "inspection",
            reportHash: ROOT_2,
            uri: "ipfs://report",
            nonce: registry.intentNonce(signer, twin),
            deadline: FAR
        });
    }

    function test_commitVersionBySig_bySigner_commitsAsSigner() public {
        ITwinRegistry.CommitVersionIntent memory intent = _commitIntent(editor, twin, 0, ROOT_1);
        bytes memory sig = _signCommit(EDITOR_KEY, intent);
        vm.expectEmit(address(registry));
        emit IIntentRelay.IntentExecuted(_commitDigest(registry, intent));
        vm.expectEmit(address(registry));
        emit ITwinRegistry.VersionCommitted(twin, 1, editor, ROOT_1, CHANGES, PACKAGE, uint64(block.timestamp));
        vm.prank(relayer);
        assertEq(registry.commitVersionBySig(intent, sig), 1, "version");
        assertEq(registry.intentNonce(editor, twin), 1, "nonce consumed");
    }

    function test_commitVersionBySig_replayed_revertsWithNonceMismatch() public {
        ITwinRegistry.CommitVersionIntent memory intent = _commitIntent(editor, twin, 0, ROOT_1);
        bytes memory sig = _signCommit(EDITOR_KEY, intent);
        registry.commitVersionBySig(intent, sig);
        vm.expectRevert(abi.encodeWithSelector(IIntentRelay.IntentNonceMismatch.selector, editor, twin, 1));
        registry.commitVersionBySig(intent, sig);
    }

    function test_commitVersionBySig_onOtherContract_revertsInvalidSignature() public {
        ITwinRegistry.CommitVersionIntent memory intent = _commitIntent(editor, twin, 0, ROOT_1);
        bytes memory sig = _signCommit(EDITOR_KEY, intent);
        TwinRegistry other = new TwinRegistry();
        vm.prank(owner);
        other.mintTwin(owner, "Duplex", "ipfs://meta/duplex");
        vm.prank(owner);
        other.grantRole(twin, ITwinRoles.Role.Editor, editor, 0);
        vm.expectRevert(abi.encodeWithSelector(IIntentRelay.IntentInvalidSignature.selector, editor));
        other.commitVersionBySig(intent, sig);
        // The same intent signed for `other` works there: only the domain differed.
        other.commitVersionBySig(intent, _sign(EDITOR_KEY, _commitDigest(other, intent)));
    }

    /// @dev Fuzz: a signature made for this chain is void on any other chain id.
    function testFuzz_commitVersionBySig_onOtherChain_revertsInvalidSignature(uint64 otherChain) public {
        vm.assume(otherChain != block.chainid && otherChain != 0);
        ITwinRegistry.CommitVersionIntent memory intent = _commitIntent(editor, twin, 0, ROOT_1);
        bytes memory sig = _signCommit(EDITOR_KEY, intent);
        vm.chainId(otherChain);
        vm.expectRevert(abi.encodeWithSelector(IIntentRelay.IntentInvalidSignature.selector, editor));
        registry.commitVersionBySig(intent, sig);
    }

    /// @dev Fuzz: changing any signed field voids the signature.
    function testFuzz_commitVersionBySig_tamperedField_revertsInvalidSignature(uint8 field, bytes32 noise) public {
        vm.assume(noise != 0);
        ITwinRegistry.CommitVersionIntent memory intent = _commitIntent(editor, twin, 0, ROOT_1);
        bytes memory sig = _signCommit(EDITOR_KEY, intent);
        field = field % 5;
        if (field == 0) intent.modelRoot ^= noise;
        else if (field == 1) intent.changesetHash ^= noise;
        else if (field == 2) intent.packageUri = string(abi.encodePacked(noise));
        else if (field == 3) intent.deadline -= 1 + uint64(uint256(noise) % 1e12); // still in the future
        else intent.baseVersion ^= uint64(uint256(noise)) | 1;
        vm.expectRevert(abi.encodeWithSelector(IIntentRelay.IntentInvalidSignature.selector, editor));
        registry.commitVersionBySig(intent, sig);
    }

    function test_commitVersionBySig_signedByOtherKey_revertsInvalidSignature() public {
        ITwinRegistry.CommitVersionIntent memory intent = _commitIntent(editor, twin, 0, ROOT_1);
        bytes memory wrongKey = _signCommit(STRANGER_KEY, intent);
        vm.expectRevert(abi.encodeWithSelector(IIntentRelay.IntentInvalidSignature.selector, editor));
        registry.commitVersionBySig(intent, wrongKey);
        vm.expectRevert(abi.encodeWithSelector(IIntentRelay.IntentInvalidSignature.selector, editor));
        registry.commitVersionBySig(intent, hex"1234");
    }

    function test_commitVersionBySig_afterDeadline_revertsExpired() public {
        ITwinRegistry.CommitVersionIntent memory intent = _commitIntent(editor, twin, 0, ROOT_1);
        intent.deadline = uint64(block.timestamp + 1 days);
        bytes memory sig = _signCommit(EDITOR_KEY, intent);
        vm.warp(block.timestamp + 1 days + 1);
        vm.expectRevert(abi.encodeWithSelector(IIntentRelay.IntentExpired.selector, intent.deadline));
        registry.commitVersionBySig(intent, sig);
    }

    function test_commitVersionBySig_roleRevokedWhileOffline_revertsNamingSigner() public {
        ITwinRegistry.CommitVersionIntent memory intent = _commitIntent(editor, twin, 0, ROOT_1);
        bytes memory sig = _signCommit(EDITOR_KEY, intent);
        vm.prank(owner);
        registry.revokeRole(twin, ITwinRoles.Role.Editor, editor);
        _expectMissingRole(twin, ITwinRoles.Role.Editor, editor);
        vm.prank(owner); // the relayer's own roles never count
        registry.commitVersionBySig(intent, sig);
    }

    function test_commitVersionBySig_outOfOrderNonce_reverts() public {
        ITwinRegistry.CommitVersionIntent memory intent = _commitIntent(editor, twin, 0, ROOT_1);
        intent.nonce = 1;
        bytes memory sig = _signCommit(EDITOR_KEY, intent);
        vm.expectRevert(abi.encodeWithSelector(IIntentRelay.IntentNonceMismatch.selector, editor, twin, 0));
        registry.commitVersionBySig(intent, sig);
    }

    function test_intentNonce_lanesPerTwinAreIndependent() public {
        vm.prank(owner);
        uint256 second = registry.mintTwin(owner, "Office", "ipfs://meta/office");
        vm.prank(owner);
        registry.grantRole(second, ITwinRoles.Role.Editor, editor, 0);
        // A queue on the first twin that is stuck (its head moved) does not block the second twin.
        ITwinRegistry.CommitVersionIntent memory onSecond = _commitIntent(editor, second, 0, ROOT_1);
        registry.commitVersionBySig(onSecond, _signCommit(EDITOR_KEY, onSecond));
        assertEq(registry.intentNonce(editor, second), 1, "second lane used");
        assertEq(registry.intentNonce(editor, twin), 0, "first lane untouched");
    }

    function test_commitVersionBySig_byContractSigner_verifiesErc1271() public {
        MockWallet wallet = new MockWallet(stranger);
        vm.prank(owner);
        registry.grantRole(twin, ITwinRoles.Role.Editor, address(wallet), 0);
        ITwinRegistry.CommitVersionIntent memory intent = _commitIntent(address(wallet), twin, 0, ROOT_1);
        registry.commitVersionBySig(intent, _signCommit(STRANGER_KEY, intent));
        assertEq(registry.headVersion(twin), 1, "committed by wallet");
        ITwinRegistry.CommitVersionIntent memory next = _commitIntent(address(wallet), twin, 1, ROOT_2);
        bytes memory notTheWalletKey = _signCommit(EDITOR_KEY, next);
        vm.expectRevert(abi.encodeWithSelector(IIntentRelay.IntentInvalidSignature.selector, address(wallet)));
        registry.commitVersionBySig(next, notTheWalletKey);
    }

    function test_logServiceBySig_bySigner_logsAsSigner() public {
        ITwinRegistry.LogServiceIntent memory intent = _logIntent(maintainer);
        bytes memory sig = _sign(MAINTAINER_KEY, _logDigest(registry, intent));
        vm.expectEmit(address(registry));
        emit ITwinRegistry.ServiceLogged(
            twin, ELEMENT, maintainer, "inspection", ROOT_2, "ipfs://report", uint64(block.timestamp)
        );
        vm.prank(relayer);
        registry.logServiceBySig(intent, sig);
        assertEq(registry.intentNonce(maintainer, twin), 1, "nonce consumed");
    }

    function test_logServiceBySig_byEditor_revertsNamingMaintainer() public {
        ITwinRegistry.LogServiceIntent memory intent = _logIntent(editor);
        bytes memory sig = _sign(EDITOR_KEY, _logDigest(registry, intent));
        _expectMissingRole(twin, ITwinRoles.Role.Maintainer, editor);
        registry.logServiceBySig(intent, sig);
    }

    // ---------------------------------------------------------------- batch relay

    function test_relayBatch_mixedOutcomes_reportsEachAndKeepsSuccesses() public {
        ITwinRegistry.CommitVersionIntent memory first = _commitIntent(editor, twin, 0, ROOT_1);
        bytes memory firstSig = _signCommit(EDITOR_KEY, first);
        // Second commit builds on the first: lane nonce 1, base 1.
        ITwinRegistry.CommitVersionIntent memory second = _commitIntent(editor, twin, 1, ROOT_2);
        second.nonce = 1;
        bytes memory secondSig = _signCommit(EDITOR_KEY, second);
        ITwinRegistry.CommitVersionIntent memory byStranger = _commitIntent(stranger, twin, 2, ROOT_1);
        ITwinRegistry.LogServiceIntent memory log = _logIntent(maintainer);

        bytes[] memory calls = new bytes[](6);
        calls[0] = abi.encodeCall(registry.commitVersionBySig, (first, firstSig));
        calls[1] = abi.encodeCall(registry.commitVersionBySig, (byStranger, _signCommit(STRANGER_KEY, byStranger)));
        calls[2] = abi.encodeCall(registry.commitVersionBySig, (second, secondSig));
        calls[3] = abi.encodeCall(registry.grantRole, (twin, ITwinRoles.Role.Admin, relayer, 0));
        calls[4] = hex"01";
        calls[5] = abi.encodeCall(registry.logServiceBySig, (log, _sign(MAINTAINER_KEY, _logDigest(registry, log))));

        vm.recordLogs();
        vm.prank(relayer);
        bool[] memory ok = registry.relayBatch(calls);
        assertTrue(ok[0] && !ok[1] && ok[2] && !ok[3] && !ok[4] && ok[5], "outcomes");
        assertEq(registry.headVersion(twin), 2, "both good commits landed");

        Vm.Log[] memory logs = vm.getRecordedLogs();
        bytes[3] memory expected = [
            abi.encodeWithSelector(ITwinRoles.TwinMissingRole.selector, twin, ITwinRoles.Role.Editor, stranger),
            abi.encodeWithSelector(IIntentRelay.IntentNotRelayable.selector, registry.grantRole.selector),
            abi.encodeWithSelector(IIntentRelay.IntentNotRelayable.selector, bytes4(0))
        ];
        uint256[3] memory expectedIndex = [uint256(1), 3, 4];
        uint256 seen;
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].topics[0] == IIntentRelay.IntentFailed.selector) {
                assertEq(uint256(logs[i].topics[1]), expectedIndex[seen], "failed index");
                assertEq(abi.decode(logs[i].data, (bytes)), expected[seen], "failure reason");
                ++seen;
            } else if (logs[i].topics[0] == IIntentRelay.IntentBatchRelayed.selector) {
                assertEq(address(uint160(uint256(logs[i].topics[1]))), relayer, "relayer");
                (uint256 count, uint256 failed) = abi.decode(logs[i].data, (uint256, uint256));
                assertEq(count, 6, "count");
                assertEq(failed, 3, "failed");
            }
        }
        assertEq(seen, 3, "three failures reported");
        assertTrue(!registry.hasRole(twin, ITwinRoles.Role.Admin, relayer), "non-intent call did not run");
    }

    function test_relayBatch_failedIntent_rollsBackItsNonce() public {
        ITwinRegistry.CommitVersionIntent memory stale = _commitIntent(editor, twin, 5, ROOT_1);
        bytes[] memory calls = new bytes[](1);
        calls[0] = abi.encodeCall(registry.commitVersionBySig, (stale, _signCommit(EDITOR_KEY, stale)));
        bool[] memory ok = registry.relayBatch(calls);
        assertTrue(!ok[0], "failed");
        assertEq(registry.intentNonce(editor, twin), 0, "nonce not consumed: the re-signed intent can reuse it");
    }

    /// @dev Fuzz: whatever subset of a batch is valid, exactly that subset takes effect.
    function testFuzz_relayBatch_onlyValidIntentsTakeEffect(uint16 validMask) public {
        uint256 n = 8;
        bytes[] memory calls = new bytes[](n);
        vm.startPrank(owner);
        for (uint256 i = 0; i < n; ++i) {
            uint256 id = registry.mintTwin(owner, "t", "u");
            registry.grantRole(id, ITwinRoles.Role.Editor, editor, 0);
            ITwinRegistry.CommitVersionIntent memory intent = _commitIntent(editor, id, 0, ROOT_1);
            bool valid = (validMask >> i) & 1 == 1;
            calls[i] = abi.encodeCall(
                registry.commitVersionBySig, (intent, _signCommit(valid ? EDITOR_KEY : STRANGER_KEY, intent))
            );
        }
        vm.stopPrank();
        bool[] memory ok = registry.relayBatch(calls);
        for (uint256 i = 0; i < n; ++i) {
            bool valid = (validMask >> i) & 1 == 1;
            assertTrue(ok[i] == valid, "outcome matches validity");
            assertEq(registry.headVersion(twin + 1 + i), valid ? 1 : 0, "head matches outcome");
        }
    }
}
