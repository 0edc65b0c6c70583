// SPDX-License-Identifier: MIT
// Storage and shared helpers of the maintenance contract, inherited by both of its halves (the
// manager and its extension) so that their storage layouts are the same one.
pragma solidity ^0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IntentRelayKeyedNonces} from "../intents/IntentRelayKeyedNonces.sol";
import {ITwinRegistry} from "../interfaces/ITwinRegistry.sol";
import {ITwinRoles} from "../interfaces/ITwinRoles.sol";
import {TwinModule} from "../modules/TwinModule.sol";
import {
    IMaintenance,
    IMaintenanceTypes,
    READING_TYPEHASH,
    DEFAULT_READING_MAX_AGE,
    DEFAULT_READING_MAX_SKEW,
    MAX_RULES_PER_CHANNEL
} from "./IMaintenance.sol";

/**
 * @title MaintenanceBase
 * @author TwinLedger
 * @notice The state of {IMaintenance}. Laid out for the gateway's hot path, a relayed reading that
 * breaches a rule and opens a work order: the channel (sensor key and sequence; bounds), its rule
 * list, the rule's first word, the twin's counters, the SLA terms and the bond are read, and the
 * order itself is one fresh slot. An order's twin is in its id, its element in its rule (hand-opened
 * orders keep theirs in a slot of their own), its deadlines in its SLA terms.
 * @dev {MaintenanceManager} and {MaintenanceExtension} both inherit exactly this contract, and the
 * manager delegates to the extension, so both run on the manager's storage.
 */
abstract contract MaintenanceBase is IMaintenanceTypes, TwinModule, IntentRelayKeyedNonces, ReentrancyGuard {
    /// @dev One sensor channel (twin, element, metric): key and sequence in the word every reading
    /// writes, bounds in the next.
    struct Channel {
        address sensor;
        uint64 lastSequence;
        int128 minValue;
        int128 maxValue;
    }

    /// @dev A rule: the first word is all a reading needs to evaluate a condition rule.
    struct Rule {
        int128 threshold;
        uint64 openOrderSeq;
        Comparator comparator;
        RuleAction action;
        RuleKind kind;
        bool active;
        bytes32 actionRef;
        bytes32 elementKey;
        bytes32 metric;
        int128 usageBaseline;
    }

    /// @dev A twin's counters and reading window, one word.
    struct TwinState {
        uint64 orderCount;
        uint24 ruleCount;
        uint16 termsCount;
        uint32 maxAge;
        uint32 maxSkew;
    }

    /// @dev A work order, one word; the twin is in its id.
    struct Order {
        address provider;
        uint40 assignedAt;
        uint24 ruleSeq;
        uint16 termsIndex;
        OrderStatus status;
        uint8 flags;
    }

    /// @dev A provider's bond for (twin, asset) and the open orders that depend on it, one word.
    struct Bond {
        uint192 amount;
        uint64 openOrders;
    }

    uint8 internal constant _RESPONDED_LATE = 1;
    uint8 internal constant _RESPONSE_ENFORCED = 2;
    uint8 internal constant _RESOLUTION_ENFORCED = 4;

    mapping(bytes32 channelKey => Channel) internal _channels;
    /// @dev Sequence numbers (per twin) of a channel's active rules, packed from index 0, 0 = free.
    mapping(bytes32 channelKey => uint24[MAX_RULES_PER_CHANNEL]) internal _channelRules;
    mapping(uint256 ruleId => Rule) internal _rules;
    mapping(uint256 twinId => TwinState) internal _twinStates;
    mapping(uint256 twinId => mapping(uint256 termsIndex => SlaTerms)) internal _terms;
    mapping(uint256 orderId => Order) internal _orders;
    mapping(uint256 orderId => bytes32 elementKey) internal _handOpenedElements;
    mapping(uint256 twinId => mapping(address provider => mapping(address asset => Bond))) internal _bonds;
    mapping(address account => mapping(address asset => uint256)) internal _claimable;

    /// @param registry_ The registry whose twins and roles it serves.
    constructor(ITwinRegistry registry_) TwinModule(registry_) EIP712("TwinLedger Maintenance", "1") {}

    function _existingOrder(uint256 orderId) internal view returns (Order storage order) {
        order = _orders[orderId];
        if (order.status == OrderStatus.None) revert MaintenanceOrderUnknown(orderId);
    }

    /// @dev An order's element: its rule's, or its own when opened by hand.
    function _orderElement(uint256 orderId, uint24 ruleSeq) internal view returns (bytes32) {
        if (ruleSeq == 0) return _handOpenedElements[orderId];
        return _rules[_id(orderId >> 64, ruleSeq)].elementKey;
    }

    function _checkAdminOrMaintainer(uint256 twinId, address account) internal view {
        ITwinRegistry reg = registry();
        if (
            !reg.hasRole(twinId, ITwinRoles.Role.Maintainer, account)
                && !reg.hasRole(twinId, ITwinRoles.Role.Admin, account)
        ) {
            revert ITwinRoles.TwinMissingRole(twinId, ITwinRoles.Role.Maintainer, account);
        }
    }

    function _window(TwinState memory state) internal pure returns (uint256 maxAge, uint256 maxSkew) {
        if (state.maxAge == 0) return (DEFAULT_READING_MAX_AGE, DEFAULT_READING_MAX_SKEW);
        return (state.maxAge, state.maxSkew);
    }

    function _hashReading(Reading calldata reading) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                READING_TYPEHASH,
                reading.twinId,
                reading.elementKey,
                reading.metric,
                reading.value,
                reading.timestamp,
                reading.sequence
            )
        );
    }

    /// @dev `twinId << 64 | seq`; 0 for seq 0 (no rule / no order).
    function _id(uint256 twinId, uint256 seq) internal pure returns (uint256) {
        if (seq == 0) return 0;
        return (uint256(SafeCast.toUint192(twinId)) << 64) | seq;
    }

    function _channelKey(uint256 twinId, bytes32 elementKey, bytes32 metric) internal pure returns (bytes32) {
        return keccak256(abi.encode(twinId, elementKey, metric));
    }

    /// @dev The intent functions {relayBatch} may run.
    function _isIntentSelector(bytes4 selector) internal pure override returns (bool) {
        return selector == IMaintenance.openWorkOrderBySig.selector
            || selector == IMaintenance.completeWorkOrderBySig.selector;
    }
}
