// SPDX-License-Identifier: MIT
// Invariants of the maintenance contract under random sequences of readings (valid, forged, from
// revoked sensors), role changes, work-order steps, enforcement, bonds and withdrawals, in ETH and
// in an ERC-20, with time passing.
pragma solidity ^0.8.28;

import {Vm} from "./utils/Vm.sol";
import {TestBase} from "./utils/TestBase.sol";
import {MockBondToken} from "./mocks/MockBondToken.sol";
import {TwinRegistry} from "../TwinRegistry.sol";
import {MaintenanceManager} from "../maintenance/MaintenanceManager.sol";
import {IMaintenance, IMaintenanceTypes as T} from "../maintenance/IMaintenance.sol";
import {ITwinRoles} from "../interfaces/ITwinRoles.sol";

/// @dev The cheatcode that gives an account ETH.
// solhint-disable-next-line interface-starts-with-i
interface VmDealer {
    function deal(address account, uint256 balance) external;
}

/// @dev Drives the maintenance contract; counts every observed violation in ghost variables.
// solhint-disable-next-line max-states-count
contract MaintenanceHandler {
    // solhint-disable-next-line const-name-snakecase
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    VmDealer internal constant DEALER = VmDealer(address(uint160(uint256(keccak256("hevm cheat code")))));
    uint256 internal constant SENSOR_KEY = 0x5E50;
    uint256 internal constant REVOKED_KEY = 0x5E51;
    uint256 internal constant STRANGER_KEY = 0xBAD0;
    bytes32 internal constant PUMP = keccak256("pump");
    bytes32 internal constant FAN = keccak256("fan");
    bytes32 internal constant VIBRATION = "vibration_mm_s";
    bytes32 public constant INSPECT = "inspect";
    bytes32 internal constant SETTLED = keccak256(
        "SlaBreachEnforced(uint256,uint256,bytes32,uint8,address,address,address,uint256,address)"
    );

    TwinRegistry public immutable registry;
    IMaintenance public immutable maintenance;
    MockBondToken public immutable token;
    address public immutable owner;
    address public immutable crew;
    uint256[2] public twins;
    address[2] public providers;

    // ghost state
    uint256 public ethIn;
    uint256 public ethOut;
    uint256 public tokenIn;
    uint256 public tokenOut;
    uint256 public penalised;
    uint256 public penaltiesAboveBond;
    uint256 public doubleEnforcements;
    uint256 public forgedAccepted;
    uint256 public forgedChangedState;
    uint256 public acceptedWithoutLiveSensor;
    uint256 public readingsAccepted;
    uint256 public enforcements;
    mapping(uint256 orderId => mapping(uint8 breach => uint256)) public enforcedCount;
    mapping(uint256 twinId => uint64) internal _sequence;

    constructor(
        TwinRegistry registry_,
        IMaintenance maintenance_,
        MockBondToken token_,
        address owner_,
        address crew_
    ) {
        registry = registry_;
        maintenance = maintenance_;
        token = token_;
        owner = owner_;
        crew = crew_;
        providers = [address(0xB0A1), address(0xB0A2)];
        address sensor = vm.addr(SENSOR_KEY);
        address revoked = vm.addr(REVOKED_KEY);
        for (uint256 t = 0; t < 2; ++t) {
            vm.startPrank(owner_);
            uint256 twinId = registry_.mintTwin(owner_, "twin", "uri");
            twins[t] = twinId;
            registry_.grantRole(twinId, ITwinRoles.Role.Sensor, sensor, 0);
            registry_.grantRole(twinId, ITwinRoles.Role.Sensor, revoked, 0);
            registry_.grantRole(twinId, ITwinRoles.Role.Maintainer, crew_, 0);
            maintenance_.registerSensor(twinId, PUMP, VIBRATION, sensor, 0, 50_000);
            maintenance_.registerSensor(twinId, FAN, VIBRATION, revoked, 0, 50_000);
            maintenance_.revokeSensor(twinId, FAN, VIBRATION);
            maintenance_.addConditionRule(
                twinId, PUMP, VIBRATION, T.Comparator.Above, 7_000, T.RuleAction.OpenWorkOrder, INSPECT
            );
            maintenance_.addConditionRule(
                twinId, PUMP, VIBRATION, T.Comparator.AtOrAbove, 40_000, T.RuleAction.RequestParts, "bearing"
            );
            maintenance_.setSlaTerms(
                twinId,
                T.SlaTerms({
                    provider: providers[t],
                    asset: t == 0 ? address(0) : address(token_),
                    penalty: t == 0 ? 1 ether : 700,
                    responseTime: 1 hours,
                    resolutionTime: 6 hours,
                    escalationContact: address(0xE5C)
                })
            );
            vm.stopPrank();
        }
        for (uint256 p = 0; p < 2; ++p) {
            DEALER.deal(providers[p], 1_000 ether);
            token_.mint(providers[p], 1e24);
            vm.startPrank(providers[p]);
            token_.approve(address(maintenance_), type(uint256).max);
            // Bonded from the start, so that rule-opened orders are assigned and can be breached.
            maintenance_.postBond{value: 5 ether}(twins[p], address(0), 5 ether);
            maintenance_.postBond(twins[p], address(token_), 5_000);
            vm.stopPrank();
            ethIn += 5 ether;
            tokenIn += 5_000;
        }
    }

    function twinCount() external pure returns (uint256) {
        return 2;
    }

    function providerCount() external pure returns (uint256) {
        return 2;
    }

    // ---------------------------------------------------------------- readings

    /// @dev A well-formed reading of a registered channel (it may still fail: role revoked, bounds).
    function reportValid(uint256 twinSeed, int128 value, uint8 lag) external {
        uint256 twinId = twins[twinSeed % 2];
        value = int128(int256(uint256(uint128(value)) % 60_000));
        T.Reading memory r = T.Reading({
            twinId: twinId,
            elementKey: PUMP,
            metric: VIBRATION,
            value: value,
            timestamp: uint64(block.timestamp - (lag % 8) * 10 minutes),
            sequence: _sequence[twinId] + 1
        });
        bool live = registry.hasRole(twinId, ITwinRoles.Role.Sensor, vm.addr(SENSOR_KEY));
        bytes memory sig = _sign(SENSOR_KEY, r);
        vm.recordLogs();
        vm.prank(address(0xBEEF));
        try maintenance.reportReading(r, sig) {
            ++readingsAccepted;
            _sequence[twinId] = r.sequence;
            if (!live) ++acceptedWithoutLiveSensor;
        } catch {}
        _tallySettlements();
    }

    /// @dev A reading by a key that is not the channel's (stranger), or for a revoked or unknown channel.
    function reportForged(uint256 twinSeed, uint8 mode, int128 value, uint64 sequence) external {
        uint256 twinId = twins[twinSeed % 2];
        bytes32 element = mode % 3 == 1 ? FAN : mode % 3 == 2 ? keccak256("unknown") : PUMP;
        uint256 key = mode % 3 == 1 ? REVOKED_KEY : mode % 3 == 2 ? SENSOR_KEY : STRANGER_KEY;
        T.Reading memory r = T.Reading({
            twinId: twinId,
            elementKey: element,
            metric: VIBRATION,
            value: int128(int256(uint256(uint128(value)) % 60_000)),
            timestamp: uint64(block.timestamp),
            sequence: sequence
        });
        bytes32 before = _stateHash(twinId, element);
        try maintenance.reportReading(r, _sign(key, r)) {
            ++forgedAccepted;
        } catch {}
        if (_stateHash(twinId, element) != before) ++forgedChangedState;
    }

    function toggleSensorRole(uint256 twinSeed, bool grant) external {
        uint256 twinId = twins[twinSeed % 2];
        vm.prank(owner);
        if (grant) registry.grantRole(twinId, ITwinRoles.Role.Sensor, vm.addr(SENSOR_KEY), 0);
        else registry.revokeRole(twinId, ITwinRoles.Role.Sensor, vm.addr(SENSOR_KEY));
    }

    // ---------------------------------------------------------------- work orders

    function openByHand(uint256 twinSeed) external {
        vm.prank(crew);
        maintenance.openWorkOrder(twins[twinSeed % 2], FAN, INSPECT);
    }

    function assign(uint256 twinSeed, uint256 orderSeed, uint256 providerSeed) external {
        (uint256 orderId, bool exists) = _order(twinSeed, orderSeed);
        if (!exists) return;
        vm.prank(owner);
        try maintenance.assignWorkOrder(orderId, providers[providerSeed % 2]) {} catch {}
    }

    function accept(uint256 twinSeed, uint256 orderSeed) external {
        (uint256 orderId, bool exists) = _order(twinSeed, orderSeed);
        if (!exists) return;
        vm.prank(maintenance.workOrder(orderId).provider);
        try maintenance.acceptWorkOrder(orderId) {} catch {}
    }

    function complete(uint256 twinSeed, uint256 orderSeed) external {
        (uint256 orderId, bool exists) = _order(twinSeed, orderSeed);
        if (!exists) return;
        (uint256 bondBefore, address provider, address asset) = _bondBehind(orderId);
        vm.recordLogs();
        vm.prank(crew);
        try maintenance.completeWorkOrder(orderId, keccak256("report"), "") {} catch {}
        _checkPenalties(bondBefore, provider, orderId >> 64, asset);
    }

    function cancel(uint256 twinSeed, uint256 orderSeed) external {
        (uint256 orderId, bool exists) = _order(twinSeed, orderSeed);
        if (!exists) return;
        (uint256 bondBefore, address provider, address asset) = _bondBehind(orderId);
        vm.recordLogs();
        vm.prank(owner);
        try maintenance.cancelWorkOrder(orderId, "") {} catch {}
        _checkPenalties(bondBefore, provider, orderId >> 64, asset);
    }

    function enforce(uint256 twinSeed, uint256 orderSeed, bool resolution) external {
        (uint256 orderId, bool exists) = _order(twinSeed, orderSeed);
        if (!exists) return;
        (uint256 bondBefore, address provider, address asset) = _bondBehind(orderId);
        vm.recordLogs();
        try maintenance.enforce(orderId, resolution ? T.Breach.Resolution : T.Breach.Response) {
            ++enforcements;
        } catch {}
        _checkPenalties(bondBefore, provider, orderId >> 64, asset);
    }

    // ---------------------------------------------------------------- funds

    function postBond(uint256 twinSeed, uint256 providerSeed, bool inToken, uint64 amount) external {
        if (amount == 0) return;
        address provider = providers[providerSeed % 2];
        uint256 twinId = twins[twinSeed % 2];
        vm.prank(provider);
        if (inToken) {
            maintenance.postBond(twinId, address(token), amount);
            tokenIn += amount;
        } else {
            maintenance.postBond{value: amount}(twinId, address(0), amount);
            ethIn += amount;
        }
    }

    function withdrawBond(uint256 twinSeed, uint256 providerSeed, bool inToken, uint256 amount) external {
        address provider = providers[providerSeed % 2];
        uint256 twinId = twins[twinSeed % 2];
        address asset = inToken ? address(token) : address(0);
        (uint256 bond,) = maintenance.bondOf(twinId, provider, asset);
        if (bond == 0) return;
        amount = 1 + (amount % bond);
        vm.prank(provider);
        try maintenance.withdrawBond(twinId, asset, amount) {
            if (inToken) tokenOut += amount;
            else ethOut += amount;
        } catch {}
    }

    function withdrawPenalties(bool inToken) external {
        address asset = inToken ? address(token) : address(0);
        vm.prank(owner);
        try maintenance.withdraw(asset) returns (uint256 amount) {
            if (inToken) tokenOut += amount;
            else ethOut += amount;
        } catch {}
    }

    function warp(uint16 minutes_) external {
        vm.warp(block.timestamp + uint256(minutes_ % 600) * 1 minutes);
    }

    // ---------------------------------------------------------------- helpers

    function _order(uint256 twinSeed, uint256 orderSeed) internal view returns (uint256 orderId, bool exists) {
        uint256 twinId = twins[twinSeed % 2];
        uint64 count = maintenance.workOrderCount(twinId);
        if (count == 0) return (0, false);
        // Mostly the latest orders (the ones still open), sometimes any.
        uint256 back = orderSeed % 4 == 0 ? orderSeed % count : orderSeed % (count < 2 ? count : 2);
        return ((twinId << 64) | (count - back), true);
    }

    function _bondBehind(uint256 orderId) internal view returns (uint256 bond, address provider, address asset) {
        T.WorkOrderInfo memory info = maintenance.workOrder(orderId);
        provider = info.provider;
        asset = maintenance.slaTerms(orderId >> 64, info.termsIndex).asset;
        (bond,) = maintenance.bondOf(orderId >> 64, provider, asset);
    }

    /// @dev Penalties of the last action: at most the bond that stood behind the order, once per breach.
    function _checkPenalties(uint256 bondBefore, address provider, uint256 twinId, address asset) internal {
        uint256 paid = _tallySettlements();
        (uint256 bondAfter,) = maintenance.bondOf(twinId, provider, asset);
        if (paid > bondBefore || bondAfter != bondBefore - paid) ++penaltiesAboveBond;
    }

    function _tallySettlements() internal returns (uint256 paid) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].emitter != address(maintenance) || logs[i].topics[0] != SETTLED) continue;
            (uint8 breach,,,, uint256 amount,) =
                abi.decode(logs[i].data, (uint8, address, address, address, uint256, address));
            uint256 orderId = uint256(logs[i].topics[1]);
            if (++enforcedCount[orderId][breach] > 1) ++doubleEnforcements;
            paid += amount;
            penalised += amount;
        }
    }

    function _stateHash(uint256 twinId, bytes32 element) internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                maintenance.sensorOf(twinId, element, VIBRATION),
                maintenance.sensorOf(twinId, PUMP, VIBRATION),
                maintenance.workOrderCount(twinId),
                maintenance.ruleOf((twinId << 64) | 1).openOrderId
            )
        );
    }

    function _sign(uint256 key, T.Reading memory r) internal view returns (bytes memory) {
        (uint8 v, bytes32 rs, bytes32 s) = vm.sign(key, maintenance.readingDigest(r));
        return abi.encodePacked(rs, s, v);
    }
}

contract MaintenanceInvariantTest is TestBase {
    MaintenanceHandler internal handler;
    IMaintenance internal maintenance;
    MockBondToken internal token;

    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    function setUp() public override {
        vm.warp(1_700_000_000);
        registry = new TwinRegistry();
        maintenance = IMaintenance(address(new MaintenanceManager(registry)));
        token = new MockBondToken();
        handler = new MaintenanceHandler(registry, maintenance, token, owner, maintainer);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev The handler's actions only; readings and funds weighted up so that runs reach orders and penalties.
    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory s = new bytes4[](16);
        s[0] = MaintenanceHandler.reportValid.selector;
        s[1] = MaintenanceHandler.reportValid.selector;
        s[2] = MaintenanceHandler.reportForged.selector;
        s[3] = MaintenanceHandler.toggleSensorRole.selector;
        s[4] = MaintenanceHandler.openByHand.selector;
        s[5] = MaintenanceHandler.assign.selector;
        s[6] = MaintenanceHandler.accept.selector;
        s[7] = MaintenanceHandler.complete.selector;
        s[8] = MaintenanceHandler.cancel.selector;
        s[9] = MaintenanceHandler.enforce.selector;
        s[10] = MaintenanceHandler.enforce.selector;
        s[11] = MaintenanceHandler.postBond.selector;
        s[12] = MaintenanceHandler.postBond.selector;
        s[13] = MaintenanceHandler.withdrawBond.selector;
        s[14] = MaintenanceHandler.withdrawPenalties.selector;
        s[15] = MaintenanceHandler.warp.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector(address(handler), s);
    }

    /// @notice A penalty never takes more than the bond behind the order.
    function invariant_penaltiesNeverExceedTheBond() public view {
        assertEq(handler.penaltiesAboveBond(), 0, "penalty above bond");
    }

    /// @notice A breach of an order is penalised at most once.
    function invariant_breachPenalisedAtMostOnce() public view {
        assertEq(handler.doubleEnforcements(), 0, "breach penalised twice");
    }

    /// @notice No reading from an unregistered, revoked or wrong key changes anything; nor one from a
    /// key whose SENSOR role is gone.
    function invariant_forgedReadingsChangeNothing() public view {
        assertEq(handler.forgedAccepted(), 0, "forged reading accepted");
        assertEq(handler.forgedChangedState(), 0, "forged reading changed state");
        assertEq(handler.acceptedWithoutLiveSensor(), 0, "reading without live SENSOR role");
    }

    /// @notice ETH in = ETH out + bonds + claimable; the same for the token.
    function invariant_fundsInEqualFundsOutPlusBalances() public view {
        uint256 ethHeld;
        uint256 tokenHeld;
        for (uint256 t = 0; t < handler.twinCount(); ++t) {
            for (uint256 p = 0; p < handler.providerCount(); ++p) {
                (uint256 e,) = maintenance.bondOf(handler.twins(t), handler.providers(p), address(0));
                (uint256 k,) = maintenance.bondOf(handler.twins(t), handler.providers(p), address(token));
                ethHeld += e;
                tokenHeld += k;
            }
        }
        ethHeld += maintenance.claimableOf(owner, address(0));
        tokenHeld += maintenance.claimableOf(owner, address(token));
        assertEq(address(maintenance).balance, handler.ethIn() - handler.ethOut(), "ETH in - out");
        assertEq(address(maintenance).balance, ethHeld, "ETH = bonds + claimable");
        assertEq(token.balanceOf(address(maintenance)), handler.tokenIn() - handler.tokenOut(), "token in - out");
        assertEq(token.balanceOf(address(maintenance)), tokenHeld, "token = bonds + claimable");
    }

    /// @notice A bond's open-order count is exactly the open, assigned orders it backs.
    function invariant_bondLocksMatchOpenOrders() public view {
        for (uint256 t = 0; t < handler.twinCount(); ++t) {
            uint256 twinId = handler.twins(t);
            uint256 count = maintenance.workOrderCount(twinId);
            for (uint256 p = 0; p < handler.providerCount(); ++p) {
                address provider = handler.providers(p);
                uint256 open;
                for (uint256 i = 1; i <= count; ++i) {
                    T.WorkOrderInfo memory info = maintenance.workOrder((twinId << 64) | i);
                    bool live = info.status == T.OrderStatus.Assigned || info.status == T.OrderStatus.Accepted;
                    if (live && info.provider == provider) ++open;
                }
                address asset = maintenance.slaTerms(twinId, 1).asset;
                (, uint256 locked) = maintenance.bondOf(twinId, provider, asset);
                assertEq(locked, open, "locks = open orders");
            }
        }
    }
}
