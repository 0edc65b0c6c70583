// SPDX-License-Identifier: MIT
// Shared fixture of the maintenance tests: the registry's Duplex twin with a pump whose vibration
// sensor is registered, a rule (vibration above 7.1 mm/s opens an inspection), ETH SLA terms and a
// bonded provider; helpers to sign readings and intents.
pragma solidity ^0.8.28;

/* solhint-disable gas-custom-errors */

import {TestBase} from "./utils/TestBase.sol";
import {MaintenanceManager} from "../maintenance/MaintenanceManager.sol";
import {
    IMaintenance,
    IMaintenanceTypes,
    READING_TYPEHASH,
    OPEN_WORK_ORDER_TYPEHASH,
    COMPLETE_WORK_ORDER_TYPEHASH
} from "../maintenance/IMaintenance.sol";
import {ITwinRoles} from "../interfaces/ITwinRoles.sol";

/// @dev The cheatcode that gives an account ETH (Foundry-compatible), missing from utils/Vm.sol.
// solhint-disable-next-line interface-starts-with-i
interface VmDeal {
    function deal(address account, uint256 balance) external;
}

abstract contract MaintenanceFixture is TestBase {
    // solhint-disable-next-line const-name-snakecase
    VmDeal internal constant cheats = VmDeal(address(uint160(uint256(keccak256("hevm cheat code")))));

    uint256 internal constant SENSOR_KEY = 0x5E5;
    uint256 internal constant PROVIDER_KEY = 0x9A0;
    address internal sensor = vm.addr(SENSOR_KEY);
    address internal provider = vm.addr(PROVIDER_KEY);
    address internal contact = address(0xE5C);

    bytes32 internal constant PUMP = keccak256("2O2Fr$t4X7Zf8NOew3FLOH");
    bytes32 internal constant FAN = keccak256("1hOSvn6df7F8_7GcBWlRGQ");
    bytes32 internal constant VIBRATION = "vibration_mm_s";
    bytes32 internal constant TEMPERATURE = "temperature_c";
    bytes32 internal constant HOURS = "running_hours";
    bytes32 internal constant INSPECT = "inspect_bearing";
    int128 internal constant THRESHOLD = 7_100;
    int128 internal constant MAX_VIBRATION = 50_000;
    uint96 internal constant PENALTY = 1 ether;
    uint32 internal constant RESPONSE = 4 hours;
    uint32 internal constant RESOLUTION = 24 hours;
    uint256 internal constant BOND = 3 ether;

    MaintenanceManager internal manager;
    IMaintenance internal maintenance;
    uint256 internal rule;
    uint64 internal sequence;

    function setUp() public virtual override {
        super.setUp();
        manager = new MaintenanceManager(registry);
        maintenance = IMaintenance(address(manager));
        vm.startPrank(owner);
        registry.grantRole(twin, ITwinRoles.Role.Sensor, sensor, 0);
        maintenance.registerSensor(twin, PUMP, VIBRATION, sensor, 0, MAX_VIBRATION);
        rule = maintenance.addConditionRule(
            twin,
            PUMP,
            VIBRATION,
            IMaintenanceTypes.Comparator.Above,
            THRESHOLD,
            IMaintenanceTypes.RuleAction.OpenWorkOrder,
            INSPECT
        );
        maintenance.setSlaTerms(twin, _terms(address(0), PENALTY));
        vm.stopPrank();
        cheats.deal(provider, 100 ether);
        vm.prank(provider);
        maintenance.postBond{value: BOND}(twin, address(0), BOND);
    }

    function _terms(address asset, uint96 penalty) internal view returns (IMaintenanceTypes.SlaTerms memory) {
        return IMaintenanceTypes.SlaTerms({
            provider: provider,
            asset: asset,
            penalty: penalty,
            responseTime: RESPONSE,
            resolutionTime: RESOLUTION,
            escalationContact: contact
        });
    }

    // ---------------------------------------------------------------- readings

    function _reading(bytes32 element, bytes32 metric, int128 value)
        internal
        returns (IMaintenanceTypes.Reading memory)
    {
        return IMaintenanceTypes.Reading({
            twinId: twin,
            elementKey: element,
            metric: metric,
            value: value,
            timestamp: uint64(block.timestamp),
            sequence: ++sequence
        });
    }

    function _readingDigest(IMaintenanceTypes.Reading memory r) internal view returns (bytes32) {
        bytes32 structHash =
            keccak256(abi.encode(READING_TYPEHASH, r.twinId, r.elementKey, r.metric, r.value, r.timestamp, r.sequence));
        return keccak256(abi.encodePacked("\x19\x01", _maintenanceDomain(), structHash));
    }

    function _maintenanceDomain() internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("TwinLedger Maintenance"),
                keccak256("1"),
                block.chainid,
                address(manager)
            )
        );
    }

    function _signReading(uint256 key, IMaintenanceTypes.Reading memory r) internal view returns (bytes memory) {
        return _sign(key, _readingDigest(r));
    }

    /// @dev Reports a reading of the pump's vibration signed by the sensor; answers the order it opened (0: none).
    function _report(int128 value) internal returns (uint256 orderId) {
        uint64 before = maintenance.workOrderCount(twin);
        IMaintenanceTypes.Reading memory r = _reading(PUMP, VIBRATION, value);
        vm.prank(relayer);
        maintenance.reportReading(r, _signReading(SENSOR_KEY, r));
        uint64 count = maintenance.workOrderCount(twin);
        return count == before ? 0 : _orderId(count);
    }

    function _orderId(uint256 seq) internal view returns (uint256) {
        return (twin << 64) | seq;
    }

    // ---------------------------------------------------------------- intents

    function _openIntent(address signer, bytes32 element, bytes32 kind)
        internal
        view
        returns (IMaintenanceTypes.OpenWorkOrderIntent memory)
    {
        return IMaintenanceTypes.OpenWorkOrderIntent({
            signer: signer,
            twinId: twin,
            elementKey: element,
            kind: kind,
            nonce: maintenance.intentNonce(signer, twin),
            deadline: FAR
        });
    }

    function _signOpen(uint256 key, IMaintenanceTypes.OpenWorkOrderIntent memory i)
        internal
        view
        returns (bytes memory)
    {
        bytes32 structHash = keccak256(
            abi.encode(OPEN_WORK_ORDER_TYPEHASH, i.signer, i.twinId, i.elementKey, i.kind, i.nonce, i.deadline)
        );
        return _sign(key, keccak256(abi.encodePacked("\x19\x01", _maintenanceDomain(), structHash)));
    }

    function _completeIntent(address signer, uint256 orderId)
        internal
        view
        returns (IMaintenanceTypes.CompleteWorkOrderIntent memory)
    {
        return IMaintenanceTypes.CompleteWorkOrderIntent({
            signer: signer,
            twinId: twin,
            orderId: orderId,
            reportHash: keccak256("report"),
            uri: "ipfs://report",
            nonce: maintenance.intentNonce(signer, twin),
            deadline: FAR
        });
    }

    function _signComplete(uint256 key, IMaintenanceTypes.CompleteWorkOrderIntent memory i)
        internal
        view
        returns (bytes memory)
    {
        bytes32 structHash = keccak256(
            abi.encode(
                COMPLETE_WORK_ORDER_TYPEHASH,
                i.signer,
                i.twinId,
                i.orderId,
                i.reportHash,
                keccak256(bytes(i.uri)),
                i.nonce,
                i.deadline
            )
        );
        return _sign(key, keccak256(abi.encodePacked("\x19\x01", _maintenanceDomain(), structHash)));
    }

    // ---------------------------------------------------------------- assertions

    function assertEqInt(int256 a, int256 b, string memory message) internal pure {
        require(a == b, message);
    }

    function _status(uint256 orderId) internal view returns (IMaintenanceTypes.OrderStatus) {
        return maintenance.workOrder(orderId).status;
    }
}
