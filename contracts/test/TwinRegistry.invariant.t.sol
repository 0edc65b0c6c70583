// SPDX-License-Identifier: MIT
// Invariants of the registry under random sequences of grants, revocations, time travel, direct and
// signed commits and replay attempts (on the same contract, another contract and another chain).
pragma solidity ^0.8.28;

import {Vm} from "./utils/Vm.sol";
import {TestBase} from "./utils/TestBase.sol";
import {TwinRegistry} from "../TwinRegistry.sol";
import {ITwinRegistry} from "../interfaces/ITwinRegistry.sol";
import {ITwinRoles} from "../interfaces/ITwinRoles.sol";

/// @dev Drives the registry; counts every observed violation in ghost variables.
contract RegistryHandler {
    // solhint-disable-next-line const-name-snakecase
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    uint256 internal constant ACTORS = 4;
    uint256 internal constant TWINS = 3;

    TwinRegistry public immutable registry;
    TwinRegistry public immutable other;
    address public immutable owner;
    TestBase internal immutable signer;

    uint256[TWINS] public twins;
    uint256[ACTORS] internal keys;

    // ghost state
    uint256 public commitsWithoutLiveEditor;
    uint256 public replaysAccepted;
    uint256 public headJumps;
    uint256 public commits;
    uint256 public replayAttempts;
    mapping(uint256 twinId => uint64) public ghostHead;

    struct Used {
        ITwinRegistry.CommitVersionIntent intent;
        bytes signature;
    }

    Used[] internal used;

    constructor(TwinRegistry registry_, TwinRegistry other_, address owner_, TestBase signer_) {
        registry = registry_;
        other = other_;
        owner = owner_;
        signer = signer_;
        for (uint256 i = 0; i < ACTORS; ++i) keys[i] = 0x1000 + i;
        for (uint256 t = 0; t < TWINS; ++t) {
            vm.prank(owner_);
            twins[t] = registry_.mintTwin(owner_, "twin", "uri");
            vm.prank(owner_);
            other_.mintTwin(owner_, "twin", "uri");
            // Seed editors so that commits are frequent: one without end, one that expires soon.
            vm.startPrank(owner_);
            registry_.grantRole(twins[t], ITwinRoles.Role.Editor, vm.addr(keys[0]), 0);
            registry_.grantRole(twins[t], ITwinRoles.Role.Editor, vm.addr(keys[1]), uint40(block.timestamp + 1 days));
            vm.stopPrank();
            // On the other contract everyone may edit: only the domain can stop a replay there.
            for (uint256 i = 0; i < ACTORS; ++i) {
                vm.prank(owner_);
                other_.grantRole(twins[t], ITwinRoles.Role.Editor, vm.addr(keys[i]), 0);
            }
        }
    }

    function actor(uint256 i) public view returns (address) {
        return vm.addr(keys[i % ACTORS]);
    }

    function twinCount() external pure returns (uint256) {
        return TWINS;
    }

    function actorCount() external pure returns (uint256) {
        return ACTORS;
    }

    // ---------------------------------------------------------------- admin actions

    function grant(uint256 twinSeed, uint256 actorSeed, uint8 roleSeed, uint32 lifetime) external {
        uint40 expiresAt = lifetime == 0 ? 0 : uint40(block.timestamp + lifetime);
        vm.prank(owner);
        registry.grantRole(twins[twinSeed % TWINS], ITwinRoles.Role(roleSeed % 5), actor(actorSeed), expiresAt);
    }

    function revoke(uint256 twinSeed, uint256 actorSeed, uint8 roleSeed) external {
        vm.prank(owner);
        registry.revokeRole(twins[twinSeed % TWINS], ITwinRoles.Role(roleSeed % 5), actor(actorSeed));
    }

    function endEngagement(uint256 twinSeed, uint256 actorSeed) external {
        vm.prank(owner);
        registry.endEngagement(twins[twinSeed % TWINS], actor(actorSeed));
    }

    function warp(uint24 seconds_) external {
        vm.warp(block.timestamp + seconds_);
    }

    // ---------------------------------------------------------------- commits

    function commitDirect(uint256 twinSeed, uint256 actorSeed, bool onHead, bytes32 root) external {
        uint256 twinId = twins[twinSeed % TWINS];
        address who = actor(actorSeed);
        uint64 base = onHead || uint256(root) % 4 != 0 ? ghostHead[twinId] : uint64(uint256(root) % 7);
        bool live = registry.hasRole(twinId, ITwinRoles.Role.Editor, who);
        vm.prank(who);
        try registry.commitVersion(twinId, base, root, bytes32(0), "pkg") returns (uint64 version) {
            _recordCommit(twinId, version, live);
        } catch {}
    }

    function commitSigned(uint256 twinSeed, uint256 actorSeed, bool onHead, bytes32 root) external {
        uint256 twinId = twins[twinSeed % TWINS];
        uint256 key = keys[actorSeed % ACTORS];
        address who = vm.addr(key);
        ITwinRegistry.CommitVersionIntent memory intent = ITwinRegistry.CommitVersionIntent({
            signer: who,
            twinId: twinId,
            baseVersion: onHead || uint256(root) % 4 != 0 ? ghostHead[twinId] : uint64(uint256(root) % 7),
            modelRoot: root,
            changesetHash: bytes32(0),
            packageUri: "pkg",
            nonce: registry.intentNonce(who, twinId),
            deadline: uint64(block.timestamp + 1 days)
        });
        bytes memory signature = _sign(key, registry, intent);
        bool live = registry.hasRole(twinId, ITwinRoles.Role.Editor, who);
        try registry.commitVersionBySig(intent, signature) returns (uint64 version) {
            _recordCommit(twinId, version, live);
            used.push(Used(intent, signature));
        } catch {}
    }

    /// @dev Replays a used intent: on the same contract, on another contract, or on another chain.
    function replay(uint256 index, uint8 mode, uint64 chainSeed) external {
        if (used.length == 0) return;
        Used memory u = used[index % used.length];
        ++replayAttempts;
        mode %= 3;
        if (mode == 0) {
            try registry.commitVersionBySig(u.intent, u.signature) {
                ++replaysAccepted;
            } catch {}
        } else if (mode == 1) {
            // Align the other contract's lane and head so that only the domain differs.
            u.intent.nonce = other.intentNonce(u.intent.signer, u.intent.twinId);
            u.intent.baseVersion = other.headVersion(u.intent.twinId);
            try other.commitVersionBySig(u.intent, u.signature) {
                ++replaysAccepted;
            } catch {}
        } else {
            uint256 home = block.chainid;
            uint256 away = (uint256(chainSeed) % 1_000_000) + 1;
            if (away == home) ++away;
            vm.chainId(away);
            try registry.commitVersionBySig(u.intent, u.signature) {
                ++replaysAccepted;
            } catch {}
            vm.chainId(home);
        }
    }

    function _recordCommit(uint256 twinId, uint64 version, bool hadLiveEditor) internal {
        ++commits;
        if (!hadLiveEditor) ++commitsWithoutLiveEditor;
        if (version != ghostHead[twinId] + 1) ++headJumps;
        ghostHead[twinId] = version;
    }

    function _sign(uint256 key, TwinRegistry target, ITwinRegistry.CommitVersionIntent memory intent)
        internal
        view
        returns (bytes memory)
    {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("TwinLedger"),
                keccak256("1"),
                block.chainid,
                address(target)
            )
        );
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
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, keccak256(abi.encodePacked("\x19\x01", domain, structHash)));
        return abi.encodePacked(r, s, v);
    }
}

contract TwinRegistryInvariantTest is TestBase {
    RegistryHandler internal handler;

    function setUp() public override {
        vm.warp(1_700_000_000);
        registry = new TwinRegistry();
        handler = new RegistryHandler(registry, new TwinRegistry(), owner, this);
    }

    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    /// @dev Only the handler is fuzzed; the registry is reached through it.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev Only the handler's actions (not its getters); commits weighted up so that runs reach deep lines.
    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory selectors = new bytes4[](10);
        selectors[0] = RegistryHandler.grant.selector;
        selectors[1] = RegistryHandler.revoke.selector;
        selectors[2] = RegistryHandler.endEngagement.selector;
        selectors[3] = RegistryHandler.warp.selector;
        selectors[4] = RegistryHandler.commitDirect.selector;
        selectors[5] = RegistryHandler.commitDirect.selector;
        selectors[6] = RegistryHandler.commitSigned.selector;
        selectors[7] = RegistryHandler.commitSigned.selector;
        selectors[8] = RegistryHandler.replay.selector;
        selectors[9] = RegistryHandler.replay.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector(address(handler), selectors);
    }

    /// @notice No version is ever committed by an account without a live EDITOR role.
    function invariant_noCommitWithoutLiveEditor() public view {
        assertEq(handler.commitsWithoutLiveEditor(), 0, "commit without live editor");
    }

    /// @notice A signed intent is used once, on one chain, on one contract.
    function invariant_intentUsedOnceOnOneChainAndContract() public view {
        assertEq(handler.replaysAccepted(), 0, "replay accepted");
    }

    /// @notice The head only moves forward, by one per commit.
    function invariant_headMovesForwardByOne() public view {
        assertEq(handler.headJumps(), 0, "head jumped");
        for (uint256 t = 0; t < handler.twinCount(); ++t) {
            uint256 twinId = handler.twins(t);
            assertEq(registry.headVersion(twinId), handler.ghostHead(twinId), "head equals commits");
        }
    }

    /// @notice Expired roles grant nothing.
    function invariant_expiredRolesGrantNothing() public view {
        for (uint256 t = 0; t < handler.twinCount(); ++t) {
            uint256 twinId = handler.twins(t);
            for (uint256 a = 0; a < handler.actorCount(); ++a) {
                address who = handler.actor(a);
                for (uint8 r = 0; r < 5; ++r) {
                    ITwinRoles.Role role = ITwinRoles.Role(r);
                    uint40 end = registry.roleExpiresAt(twinId, role, who);
                    if (end <= block.timestamp) {
                        assertTrue(!registry.hasRole(twinId, role, who), "expired role still grants");
                    }
                }
            }
        }
    }

    /// @notice Every twin keeps at least one admin: its owner.
    function invariant_everyTwinHasAnAdmin() public view {
        for (uint256 t = 0; t < handler.twinCount(); ++t) {
            uint256 twinId = handler.twins(t);
            assertTrue(registry.hasRole(twinId, ITwinRoles.Role.Admin, registry.ownerOf(twinId)), "owner admin");
        }
    }
}
