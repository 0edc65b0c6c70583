// SPDX-License-Identifier: MIT
// The cold half of the maintenance contract: configuration (sensors, rules, SLA terms) and views.
// The manager delegates to it, so it runs on the manager's storage at the manager's address.
pragma solidity ^0.8.28;

import {ITwinRegistry} from "../interfaces/ITwinRegistry.sol";
import {ITwinRoles} from "../interfaces/ITwinRoles.sol";
import {MAX_RULES_PER_CHANNEL} from "./IMaintenance.sol";
import {MaintenanceBase} from "./MaintenanceBase.sol";

/**
 * @title MaintenanceExtension
 * @author TwinLedger
 * @notice Configuration and views of {IMaintenance}, reached through {MaintenanceManager}'s
 * fallback (the manager alone would exceed the 24 KiB code size limit). Calling it directly only
 * touches its own, unused storage.
 */
contract MaintenanceExtension is MaintenanceBase {
    /// @param registry_ The manager's registry (the same immutables as the manager's).
    constructor(ITwinRegistry registry_) MaintenanceBase(registry_) {}

    // ------------------------------------------------------------------ sensors

    /// @notice See {IMaintenance}.
    function registerSensor(
        uint256 twinId,
        bytes32 elementKey,
        bytes32 metric,
        address sensor,
        int128 minValue,
        int128 maxValue
    ) external {
        _checkTwinRole(twinId, ITwinRoles.Role.Admin, msg.sender);
        if (sensor == address(0)) revert MaintenanceSensorZero();
        if (minValue > maxValue) revert MaintenanceBoundsInvalid(minValue, maxValue);
        Channel storage channel = _channels[_channelKey(twinId, elementKey, metric)];
        channel.sensor = sensor;
        channel.minValue = minValue;
        channel.maxValue = maxValue;
        emit SensorRegistered(twinId, elementKey, metric, sensor, minValue, maxValue, msg.sender);
    }

    /// @notice See {IMaintenance}.
    function revokeSensor(uint256 twinId, bytes32 elementKey, bytes32 metric) external {
        _checkTwinRole(twinId, ITwinRoles.Role.Admin, msg.sender);
        Channel storage channel = _channels[_channelKey(twinId, elementKey, metric)];
        address sensor = channel.sensor;
        if (sensor == address(0)) revert MaintenanceSensorNotRegistered(twinId, elementKey, metric);
        channel.sensor = address(0);
        emit SensorRevoked(twinId, elementKey, metric, sensor, msg.sender);
    }

    /// @notice See {IMaintenance}.
    function setReadingWindow(uint256 twinId, uint32 maxAge, uint32 maxSkew) external {
        _checkTwinRole(twinId, ITwinRoles.Role.Admin, msg.sender);
        if (maxAge == 0) revert MaintenanceReadingWindowInvalid(maxAge);
        TwinState storage state = _twinStates[twinId];
        state.maxAge = maxAge;
        state.maxSkew = maxSkew;
        emit ReadingWindowSet(twinId, maxAge, maxSkew, msg.sender);
    }

    // ------------------------------------------------------------------ rules and SLA terms

    /// @notice See {IMaintenance}.
    function addConditionRule(
        uint256 twinId,
        bytes32 elementKey,
        bytes32 metric,
        Comparator comparator,
        int128 threshold,
        RuleAction action,
        bytes32 actionRef
    ) external returns (uint256 ruleId) {
        return _addRule(twinId, elementKey, metric, RuleKind.Condition, comparator, threshold, 0, action, actionRef);
    }

    /// @notice See {IMaintenance}.
    function addUsageRule(
        uint256 twinId,
        bytes32 elementKey,
        bytes32 metric,
        int128 lifeLimit,
        int128 baseline,
        RuleAction action,
        bytes32 actionRef
    ) external returns (uint256 ruleId) {
        if (lifeLimit <= 0) revert MaintenanceUsageLimitInvalid(lifeLimit);
        return _addRule(
            twinId, elementKey, metric, RuleKind.Usage, Comparator.AtOrAbove, lifeLimit, baseline, action, actionRef
        );
    }

    /// @notice See {IMaintenance}.
    function removeRule(uint256 ruleId) external {
        uint256 twinId = ruleId >> 64;
        Rule storage rule = _rules[ruleId];
        if (!rule.active) revert MaintenanceRuleUnknown(ruleId);
        _checkTwinRole(twinId, ITwinRoles.Role.Admin, msg.sender);
        rule.active = false;
        uint24[MAX_RULES_PER_CHANNEL] storage list = _channelRules[_channelKey(twinId, rule.elementKey, rule.metric)];
        // Keep the list packed from index 0: move the last entry into the removed one's place.
        uint24 seq = uint24(ruleId);
        uint256 last = MAX_RULES_PER_CHANNEL - 1;
        while (list[last] == 0) --last;
        for (uint256 i = 0; i <= last; ++i) {
            if (list[i] == seq) {
                list[i] = list[last];
                list[last] = 0;
                break;
            }
        }
        emit RuleRemoved(twinId, rule.elementKey, ruleId, msg.sender);
    }

    /// @notice See {IMaintenance}.
    function setSlaTerms(uint256 twinId, SlaTerms calldata terms) external returns (uint16 termsIndex) {
        _checkTwinRole(twinId, ITwinRoles.Role.Admin, msg.sender);
        if (terms.penalty == 0 || terms.responseTime == 0 || terms.resolutionTime < terms.responseTime) {
            revert MaintenanceSlaTermsInvalid(terms.responseTime, terms.resolutionTime);
        }
        termsIndex = ++_twinStates[twinId].termsCount;
        _terms[twinId][termsIndex] = terms;
        emit SlaTermsSet(
            twinId,
            termsIndex,
            terms.provider,
            terms.asset,
            terms.penalty,
            terms.responseTime,
            terms.resolutionTime,
            terms.escalationContact,
            msg.sender
        );
    }

    // ------------------------------------------------------------------ views

    /// @notice See {IMaintenance}.
    function sensorOf(uint256 twinId, bytes32 elementKey, bytes32 metric) external view returns (SensorInfo memory) {
        Channel storage channel = _channels[_channelKey(twinId, elementKey, metric)];
        return SensorInfo(channel.sensor, channel.minValue, channel.maxValue, channel.lastSequence);
    }

    /// @notice See {IMaintenance}.
    function readingWindow(uint256 twinId) external view returns (uint32 maxAge, uint32 maxSkew) {
        (uint256 age, uint256 skew) = _window(_twinStates[twinId]);
        return (uint32(age), uint32(skew));
    }

    /// @notice See {IMaintenance}.
    function ruleOf(uint256 ruleId) external view returns (RuleInfo memory) {
        uint256 twinId = ruleId >> 64;
        uint256 seq = uint64(ruleId);
        if (seq == 0 || seq > _twinStates[twinId].ruleCount) revert MaintenanceRuleUnknown(ruleId);
        Rule storage rule = _rules[ruleId];
        return RuleInfo({
            twinId: twinId,
            elementKey: rule.elementKey,
            metric: rule.metric,
            kind: rule.kind,
            comparator: rule.comparator,
            threshold: rule.threshold,
            usageBaseline: rule.usageBaseline,
            action: rule.action,
            actionRef: rule.actionRef,
            openOrderId: rule.openOrderSeq == 0 ? 0 : _id(twinId, rule.openOrderSeq),
            active: rule.active
        });
    }

    /// @notice See {IMaintenance}.
    function rulesOf(uint256 twinId, bytes32 elementKey, bytes32 metric)
        external
        view
        returns (uint256[] memory ruleIds)
    {
        uint24[MAX_RULES_PER_CHANNEL] memory seqs = _channelRules[_channelKey(twinId, elementKey, metric)];
        uint256 count;
        while (count < MAX_RULES_PER_CHANNEL && seqs[count] != 0) ++count;
        ruleIds = new uint256[](count);
        for (uint256 i = 0; i < count; ++i) ruleIds[i] = _id(twinId, seqs[i]);
    }

    /// @notice See {IMaintenance}.
    function slaTerms(uint256 twinId, uint16 termsIndex) external view returns (SlaTerms memory) {
        return _terms[twinId][termsIndex];
    }

    /// @notice See {IMaintenance}.
    function currentSlaTermsIndex(uint256 twinId) external view returns (uint16) {
        return _twinStates[twinId].termsCount;
    }

    /// @notice See {IMaintenance}.
    function bondOf(uint256 twinId, address provider, address asset)
        external
        view
        returns (uint256 amount, uint256 openOrders)
    {
        Bond storage bond = _bonds[twinId][provider][asset];
        return (bond.amount, bond.openOrders);
    }

    /// @notice See {IMaintenance}.
    function claimableOf(address account, address asset) external view returns (uint256) {
        return _claimable[account][asset];
    }

    /// @notice See {IMaintenance}.
    function workOrder(uint256 orderId) external view returns (WorkOrderInfo memory info) {
        Order storage order = _existingOrder(orderId);
        uint256 twinId = orderId >> 64;
        info.twinId = twinId;
        info.elementKey = _orderElement(orderId, order.ruleSeq);
        info.ruleId = order.ruleSeq == 0 ? 0 : _id(twinId, order.ruleSeq);
        info.status = order.status;
        info.provider = order.provider;
        info.termsIndex = order.termsIndex;
        info.assignedAt = order.assignedAt;
        if (order.termsIndex != 0) {
            SlaTerms storage terms = _terms[twinId][order.termsIndex];
            info.respondBy = order.assignedAt + terms.responseTime;
            info.resolveBy = order.assignedAt + terms.resolutionTime;
        }
        uint8 flags = order.flags;
        info.respondedLate = flags & _RESPONDED_LATE != 0;
        info.responseEnforced = flags & _RESPONSE_ENFORCED != 0;
        info.resolutionEnforced = flags & _RESOLUTION_ENFORCED != 0;
    }

    /// @notice See {IMaintenance}.
    function workOrderCount(uint256 twinId) external view returns (uint64) {
        return _twinStates[twinId].orderCount;
    }

    // ------------------------------------------------------------------ internals

    function _addRule(
        uint256 twinId,
        bytes32 elementKey,
        bytes32 metric,
        RuleKind kind,
        Comparator comparator,
        int128 threshold,
        int128 baseline,
        RuleAction action,
        bytes32 actionRef
    ) private returns (uint256 ruleId) {
        _checkTwinRole(twinId, ITwinRoles.Role.Admin, msg.sender);
        if (action != RuleAction.AlertOnly && actionRef == bytes32(0)) revert MaintenanceRuleActionRefZero();
        uint24[MAX_RULES_PER_CHANNEL] storage list = _channelRules[_channelKey(twinId, elementKey, metric)];
        uint256 slot;
        while (slot < MAX_RULES_PER_CHANNEL && list[slot] != 0) ++slot;
        if (slot == MAX_RULES_PER_CHANNEL) revert MaintenanceTooManyRules(twinId, elementKey, metric);
        uint24 seq = ++_twinStates[twinId].ruleCount;
        list[slot] = seq;
        ruleId = _id(twinId, seq);
        _rules[ruleId] = Rule({
            threshold: threshold,
            openOrderSeq: 0,
            comparator: comparator,
            action: action,
            kind: kind,
            active: true,
            actionRef: actionRef,
            elementKey: elementKey,
            metric: metric,
            usageBaseline: baseline
        });
        emit RuleAdded(
            twinId, elementKey, ruleId, metric, kind, comparator, threshold, baseline, action, actionRef, msg.sender
        );
    }
}
