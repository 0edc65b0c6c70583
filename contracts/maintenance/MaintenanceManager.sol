// SPDX-License-Identifier: MIT
// Condition-based maintenance and SLAs for the registry's twins: signed sensor readings checked
// against rules open work orders by themselves; providers' bonds pay for missed SLA deadlines.
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Proxy} from "@openzeppelin/contracts/proxy/Proxy.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ITwinRegistry} from "../interfaces/ITwinRegistry.sol";
import {ITwinRoles} from "../interfaces/ITwinRoles.sol";
import {OPEN_WORK_ORDER_TYPEHASH, COMPLETE_WORK_ORDER_TYPEHASH, MAX_RULES_PER_CHANNEL} from "./IMaintenance.sol";
import {MaintenanceBase} from "./MaintenanceBase.sol";
import {MaintenanceExtension} from "./MaintenanceExtension.sol";

/**
 * @title MaintenanceManager
 * @author TwinLedger
 * @notice The address that serves all of {IMaintenance}: readings, work orders, SLA enforcement,
 * bonds and payments run here; configuration (sensors, rules, SLA terms) and views run in
 * {MaintenanceExtension}, which this contract deploys in its constructor and delegates every other
 * call to (same storage, same events, same address for callers). Use the `IMaintenance` ABI.
 */
contract MaintenanceManager is MaintenanceBase, Proxy {
    using SafeERC20 for IERC20;

    MaintenanceExtension private immutable _extension;

    /**
     * @notice Deploys the maintenance contract for `registry_` (EIP-712 domain "TwinLedger Maintenance", "1")
     * and its extension.
     * @param registry_ The registry whose twins and roles it serves.
     */
    constructor(ITwinRegistry registry_) MaintenanceBase(registry_) {
        _extension = new MaintenanceExtension(registry_);
    }

    /**
     * @notice The contract this one delegates configuration and views to.
     * @return The extension's address.
     */
    function extension() external view returns (address) {
        return address(_extension);
    }

    /// @notice Plain ETH transfers are refused: bonds go through {postBond}.
    receive() external payable {
        revert MaintenancePaymentMismatch(msg.value, 0);
    }

    // ------------------------------------------------------------------ readings

    /// @notice See {IMaintenance}.
    function reportReading(Reading calldata reading, bytes calldata signature) public {
        bytes32 channelKey = _channelKey(reading.twinId, reading.elementKey, reading.metric);
        (address sensor, TwinState memory state) = _acceptReading(reading, signature, channelKey);
        uint24[MAX_RULES_PER_CHANNEL] memory ruleSeqs = _channelRules[channelKey];
        for (uint256 i = 0; i < MAX_RULES_PER_CHANNEL && ruleSeqs[i] != 0; ++i) {
            _applyRule(reading, ruleSeqs[i], sensor, state.termsCount);
        }
    }

    /// @notice See {IMaintenance}.
    function reportReadings(Reading[] calldata readings, bytes[] calldata signatures)
        external
        returns (bool[] memory accepted)
    {
        uint256 count = readings.length;
        if (signatures.length != count) revert MaintenanceBatchLengthMismatch(count, signatures.length);
        accepted = new bool[](count);
        uint256 rejected;
        for (uint256 i = 0; i < count; ++i) {
            // A delegatecall to this contract rolls back a refused reading alone.
            // slither-disable-next-line controlled-delegatecall
            (bool ok, bytes memory reason) =
                address(this).delegatecall(abi.encodeCall(this.reportReading, (readings[i], signatures[i])));
            if (ok) {
                accepted[i] = true;
            } else {
                ++rejected;
                Reading calldata reading = readings[i];
                emit ReadingRejected(i, reading.twinId, reading.elementKey, reading.metric, reading.sequence, reason);
            }
        }
        emit ReadingBatchReported(msg.sender, count, rejected);
    }

    /// @notice See {IMaintenance}.
    function readingDigest(Reading calldata reading) external view returns (bytes32) {
        return _hashTypedDataV4(_hashReading(reading));
    }

    /// @notice See {IMaintenance}.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ------------------------------------------------------------------ bonds and payments

    /// @notice See {IMaintenance}.
    function postBond(uint256 twinId, address asset, uint256 amount) external payable nonReentrant {
        _twinOwner(twinId); // reverts for a twin that does not exist
        if (amount == 0) revert MaintenanceValueZero();
        uint256 received = amount;
        if (asset == address(0)) {
            if (msg.value != amount) revert MaintenancePaymentMismatch(msg.value, amount);
        } else {
            if (msg.value != 0) revert MaintenancePaymentMismatch(msg.value, 0);
            // What arrives is what counts (fee-on-transfer tokens deliver less than `amount`).
            uint256 before = IERC20(asset).balanceOf(address(this));
            IERC20(asset).safeTransferFrom(msg.sender, address(this), amount);
            received = IERC20(asset).balanceOf(address(this)) - before;
        }
        Bond storage bond = _bonds[twinId][msg.sender][asset];
        uint192 balance = bond.amount + SafeCast.toUint192(received);
        bond.amount = balance;
        emit BondPosted(twinId, msg.sender, asset, received, balance);
    }

    /// @notice See {IMaintenance}.
    function withdrawBond(uint256 twinId, address asset, uint256 amount) external nonReentrant {
        Bond storage bond = _bonds[twinId][msg.sender][asset];
        (uint192 balance, uint64 openOrders) = (bond.amount, bond.openOrders);
        if (openOrders != 0) revert MaintenanceBondLocked(twinId, msg.sender, asset, openOrders);
        if (amount == 0) revert MaintenanceValueZero();
        if (amount > balance) revert MaintenanceInsufficientBalance(balance, amount);
        balance -= uint192(amount);
        bond.amount = balance;
        emit BondWithdrawn(twinId, msg.sender, asset, amount, balance);
        _send(asset, msg.sender, amount);
    }

    /// @notice See {IMaintenance}.
    function withdraw(address asset) external nonReentrant returns (uint256 amount) {
        amount = _claimable[msg.sender][asset];
        if (amount == 0) revert MaintenanceInsufficientBalance(0, 0);
        _claimable[msg.sender][asset] = 0;
        emit PaymentWithdrawn(msg.sender, asset, amount);
        _send(asset, msg.sender, amount);
    }

    // ------------------------------------------------------------------ work orders

    /// @notice See {IMaintenance}.
    function openWorkOrder(uint256 twinId, bytes32 elementKey, bytes32 kind) external returns (uint256 orderId) {
        return _openByHand(msg.sender, twinId, elementKey, kind);
    }

    /// @notice See {IMaintenance}.
    function openWorkOrderBySig(OpenWorkOrderIntent calldata intent, bytes calldata signature)
        external
        returns (uint256 orderId)
    {
        bytes32 structHash = keccak256(
            abi.encode(
                OPEN_WORK_ORDER_TYPEHASH,
                intent.signer,
                intent.twinId,
                intent.elementKey,
                intent.kind,
                intent.nonce,
                intent.deadline
            )
        );
        _useIntent(intent.signer, intent.twinId, intent.nonce, intent.deadline, structHash, signature);
        return _openByHand(intent.signer, intent.twinId, intent.elementKey, intent.kind);
    }

    /// @notice See {IMaintenance}.
    function assignWorkOrder(uint256 orderId, address provider) external {
        uint256 twinId = orderId >> 64;
        Order storage order = _existingOrder(orderId);
        _checkAdminOrMaintainer(twinId, msg.sender);
        if (order.status != OrderStatus.Open) revert MaintenanceOrderWrongStatus(orderId, order.status);
        uint16 termsIndex = _twinStates[twinId].termsCount;
        if (termsIndex == 0) revert MaintenanceSlaTermsMissing(twinId);
        SlaTerms storage terms = _terms[twinId][termsIndex];
        Bond storage bond = _bonds[twinId][provider][terms.asset];
        if (bond.amount < terms.penalty) {
            revert MaintenanceBondInsufficient(twinId, provider, terms.asset, bond.amount, terms.penalty);
        }
        ++bond.openOrders;
        order.provider = provider;
        order.assignedAt = uint40(block.timestamp);
        order.termsIndex = termsIndex;
        order.status = OrderStatus.Assigned;
        _emitAssigned(orderId, twinId, _orderElement(orderId, order.ruleSeq), provider, termsIndex, terms, msg.sender);
    }

    /// @notice See {IMaintenance}.
    function acceptWorkOrder(uint256 orderId) external {
        Order storage order = _existingOrder(orderId);
        if (order.status != OrderStatus.Assigned) revert MaintenanceOrderWrongStatus(orderId, order.status);
        if (msg.sender != order.provider) revert MaintenanceNotOrderProvider(orderId, msg.sender);
        uint256 twinId = orderId >> 64;
        bool late = block.timestamp > order.assignedAt + _terms[twinId][order.termsIndex].responseTime;
        order.status = OrderStatus.Accepted;
        if (late) order.flags |= _RESPONDED_LATE;
        emit WorkOrderAccepted(orderId, twinId, _orderElement(orderId, order.ruleSeq), msg.sender, late);
    }

    /// @notice See {IMaintenance}.
    function completeWorkOrder(uint256 orderId, bytes32 reportHash, string calldata uri) external {
        _complete(msg.sender, orderId, reportHash, uri);
    }

    /// @notice See {IMaintenance}.
    function completeWorkOrderBySig(CompleteWorkOrderIntent calldata intent, bytes calldata signature) external {
        if (intent.orderId >> 64 != intent.twinId) revert MaintenanceOrderTwinMismatch(intent.orderId, intent.twinId);
        bytes32 structHash = keccak256(
            abi.encode(
                COMPLETE_WORK_ORDER_TYPEHASH,
                intent.signer,
                intent.twinId,
                intent.orderId,
                intent.reportHash,
                keccak256(bytes(intent.uri)),
                intent.nonce,
                intent.deadline
            )
        );
        _useIntent(intent.signer, intent.twinId, intent.nonce, intent.deadline, structHash, signature);
        _complete(intent.signer, intent.orderId, intent.reportHash, intent.uri);
    }

    /// @notice See {IMaintenance}.
    function cancelWorkOrder(uint256 orderId, bytes32 reason) external {
        uint256 twinId = orderId >> 64;
        Order storage order = _existingOrder(orderId);
        _checkAdminOrMaintainer(twinId, msg.sender);
        bytes32 elementKey = _close(orderId, order, OrderStatus.Cancelled, msg.sender);
        emit WorkOrderCancelled(orderId, twinId, elementKey, msg.sender, reason);
    }

    /// @notice See {IMaintenance}.
    function enforce(uint256 orderId, Breach breach) external returns (uint256 amount) {
        Order storage order = _existingOrder(orderId);
        OrderStatus status = order.status;
        if (status != OrderStatus.Assigned && status != OrderStatus.Accepted) {
            revert MaintenanceOrderWrongStatus(orderId, status);
        }
        uint256 twinId = orderId >> 64;
        SlaTerms storage terms = _terms[twinId][order.termsIndex];
        uint8 enforcedFlag = breach == Breach.Response ? _RESPONSE_ENFORCED : _RESOLUTION_ENFORCED;
        if (order.flags & enforcedFlag != 0) revert MaintenanceBreachAlreadyEnforced(orderId, breach);
        (bool due, uint40 deadline) = _breachDue(order, terms, breach);
        if (!due) revert MaintenanceBreachNotDue(orderId, breach, deadline);
        return _penalise(orderId, order, terms, breach, _orderElement(orderId, order.ruleSeq), msg.sender);
    }

    // ------------------------------------------------------------------ internals

    /**
     * @dev Checks a reading (registered channel, signature by its key, live SENSOR role, window,
     * sequence, bounds) and records it. Returns the channel's key and the twin's state.
     */
    function _acceptReading(Reading calldata reading, bytes calldata signature, bytes32 channelKey)
        private
        returns (address sensor, TwinState memory state)
    {
        Channel storage channel = _channels[channelKey];
        sensor = channel.sensor;
        if (sensor == address(0)) {
            revert MaintenanceSensorNotRegistered(reading.twinId, reading.elementKey, reading.metric);
        }
        {
            (address recovered, ECDSA.RecoverError err,) =
                ECDSA.tryRecoverCalldata(_hashTypedDataV4(_hashReading(reading)), signature);
            if (err != ECDSA.RecoverError.NoError || recovered != sensor) {
                revert MaintenanceReadingInvalidSignature(sensor, recovered);
            }
        }
        _checkTwinRole(reading.twinId, ITwinRoles.Role.Sensor, sensor);

        state = _twinStates[reading.twinId];
        {
            (uint256 maxAge, uint256 maxSkew) = _window(state);
            uint64 timestamp = reading.timestamp;
            // A timestamp far beyond the block is refused before the addition below could overflow.
            if (timestamp > block.timestamp + maxSkew) {
                revert MaintenanceReadingFromFuture(timestamp, block.timestamp + maxSkew);
            }
            if (timestamp + maxAge < block.timestamp) {
                revert MaintenanceReadingStale(timestamp, block.timestamp - maxAge);
            }
        }
        {
            uint64 lastSequence = channel.lastSequence;
            if (reading.sequence <= lastSequence) {
                revert MaintenanceReadingSequenceNotIncreasing(reading.sequence, lastSequence);
            }
            (int128 minValue, int128 maxValue) = (channel.minValue, channel.maxValue);
            if (reading.value < minValue || reading.value > maxValue) {
                revert MaintenanceReadingOutOfBounds(reading.value, minValue, maxValue);
            }
        }
        channel.lastSequence = reading.sequence;
        emit ReadingRecorded(
            reading.twinId,
            reading.elementKey,
            reading.metric,
            sensor,
            reading.value,
            reading.timestamp,
            reading.sequence
        );
    }

    /// @dev Evaluates one rule of the reading's channel and acts on a breach.
    function _applyRule(Reading calldata reading, uint24 ruleSeq, address sensor, uint16 termsIndex) private {
        uint256 ruleId = _id(reading.twinId, ruleSeq);
        Rule storage rule = _rules[ruleId];
        (bool breached, int128 baseline) = _breaches(rule, reading.value);
        if (!breached) return;
        RuleAction action = rule.action;
        if (action == RuleAction.AlertOnly) {
            _emitTriggered(reading, ruleId, baseline, TriggerOutcome.Alert, 0);
            return;
        }
        if (rule.openOrderSeq != 0) {
            _emitTriggered(
                reading, ruleId, baseline, TriggerOutcome.OrderAlreadyOpen, _id(reading.twinId, rule.openOrderSeq)
            );
            return;
        }
        uint64 orderSeq = ++_twinStates[reading.twinId].orderCount;
        uint256 orderId = _id(reading.twinId, orderSeq);
        rule.openOrderSeq = orderSeq;
        // A usage rule counts the next life from the value that reached this one.
        if (rule.kind == RuleKind.Usage) rule.usageBaseline = reading.value;
        _emitTriggered(reading, ruleId, baseline, TriggerOutcome.OrderOpened, orderId);
        _open(orderId, reading.twinId, reading.elementKey, ruleSeq, action, rule.actionRef, sensor, termsIndex);
    }

    function _emitTriggered(
        Reading calldata reading,
        uint256 ruleId,
        int128 baseline,
        TriggerOutcome outcome,
        uint256 orderId
    ) private {
        emit RuleTriggered(reading.twinId, reading.elementKey, ruleId, reading.value, baseline, outcome, orderId);
    }

    /// @dev Whether `value` breaches `rule`, and the usage baseline it was measured from (usage rules).
    function _breaches(Rule storage rule, int128 value) private view returns (bool breached, int128 baseline) {
        (int128 threshold, Comparator comparator, RuleKind kind) = (rule.threshold, rule.comparator, rule.kind);
        if (kind == RuleKind.Usage) {
            baseline = rule.usageBaseline;
            breached = int256(value) - int256(baseline) >= int256(threshold);
        } else if (comparator == Comparator.Above) {
            breached = value > threshold;
        } else if (comparator == Comparator.AtOrAbove) {
            breached = value >= threshold;
        } else if (comparator == Comparator.Below) {
            breached = value < threshold;
        } else {
            breached = value <= threshold;
        }
    }

    function _openByHand(address actor, uint256 twinId, bytes32 elementKey, bytes32 kind)
        private
        returns (uint256 orderId)
    {
        _checkAdminOrMaintainer(twinId, actor);
        if (kind == bytes32(0)) revert MaintenanceValueZero();
        TwinState storage state = _twinStates[twinId];
        orderId = _id(twinId, ++state.orderCount);
        _handOpenedElements[orderId] = elementKey;
        _open(orderId, twinId, elementKey, 0, RuleAction.OpenWorkOrder, kind, actor, state.termsCount);
    }

    /**
     * @dev Writes a new order in one store: assigned at once to the SLA's provider when its bond
     * covers a penalty, otherwise Open for assignment by hand.
     */
    function _open(
        uint256 orderId,
        uint256 twinId,
        bytes32 elementKey,
        uint24 ruleSeq,
        RuleAction action,
        bytes32 kind,
        address actor,
        uint16 termsIndex
    ) private {
        emit WorkOrderOpened(
            orderId, twinId, elementKey, _id(twinId, ruleSeq), action, kind, actor, uint64(block.timestamp)
        );
        if (termsIndex != 0) {
            SlaTerms storage terms = _terms[twinId][termsIndex];
            address provider = terms.provider;
            if (provider != address(0)) {
                Bond storage bond = _bonds[twinId][provider][terms.asset];
                if (bond.amount >= terms.penalty) {
                    ++bond.openOrders;
                    _orders[orderId] =
                        Order(provider, uint40(block.timestamp), ruleSeq, termsIndex, OrderStatus.Assigned, 0);
                    _emitAssigned(orderId, twinId, elementKey, provider, termsIndex, terms, actor);
                    return;
                }
            }
        }
        _orders[orderId] = Order(address(0), 0, ruleSeq, 0, OrderStatus.Open, 0);
    }

    function _complete(address actor, uint256 orderId, bytes32 reportHash, string calldata uri) private {
        uint256 twinId = orderId >> 64;
        Order storage order = _existingOrder(orderId);
        _checkTwinRole(twinId, ITwinRoles.Role.Maintainer, actor);
        if (reportHash == bytes32(0)) revert MaintenanceValueZero();
        bytes32 elementKey = _close(orderId, order, OrderStatus.Completed, actor);
        emit WorkOrderCompleted(orderId, twinId, elementKey, actor, reportHash, uri, uint64(block.timestamp));
    }

    /**
     * @dev Closes an open order: settles its due, unenforced breaches, releases the bond and the
     * rule, and sets `status`. Returns the order's element.
     */
    function _close(uint256 orderId, Order storage order, OrderStatus status, address actor)
        private
        returns (bytes32 elementKey)
    {
        OrderStatus current = order.status;
        if (current != OrderStatus.Open && current != OrderStatus.Assigned && current != OrderStatus.Accepted) {
            revert MaintenanceOrderWrongStatus(orderId, current);
        }
        uint256 twinId = orderId >> 64;
        uint24 ruleSeq = order.ruleSeq;
        elementKey = _orderElement(orderId, ruleSeq);
        if (current != OrderStatus.Open) {
            SlaTerms storage terms = _terms[twinId][order.termsIndex];
            (bool responseDue,) = _breachDue(order, terms, Breach.Response);
            if (responseDue && order.flags & _RESPONSE_ENFORCED == 0) {
                _penalise(orderId, order, terms, Breach.Response, elementKey, actor);
            }
            (bool resolutionDue,) = _breachDue(order, terms, Breach.Resolution);
            if (resolutionDue && order.flags & _RESOLUTION_ENFORCED == 0) {
                _penalise(orderId, order, terms, Breach.Resolution, elementKey, actor);
            }
            --_bonds[twinId][order.provider][terms.asset].openOrders;
        }
        order.status = status;
        if (ruleSeq != 0) {
            Rule storage rule = _rules[_id(twinId, ruleSeq)];
            if (rule.openOrderSeq == uint64(orderId)) rule.openOrderSeq = 0;
        }
    }

    /// @dev Whether `breach` of an open, assigned order is due now, and its deadline.
    function _breachDue(Order storage order, SlaTerms storage terms, Breach breach)
        private
        view
        returns (bool due, uint40 deadline)
    {
        if (breach == Breach.Response) {
            deadline = order.assignedAt + terms.responseTime;
            due = order.flags & _RESPONDED_LATE != 0
                || (order.status == OrderStatus.Assigned && block.timestamp > deadline);
        } else {
            deadline = order.assignedAt + terms.resolutionTime;
            due = block.timestamp > deadline;
        }
    }

    /// @dev Penalises `breach` once: one penalty, capped at the bond, to the twin owner's claimable balance.
    function _penalise(
        uint256 orderId,
        Order storage order,
        SlaTerms storage terms,
        Breach breach,
        bytes32 elementKey,
        address actor
    ) private returns (uint256 amount) {
        order.flags |= breach == Breach.Response ? _RESPONSE_ENFORCED : _RESOLUTION_ENFORCED;
        address provider = order.provider;
        address beneficiary;
        (amount, beneficiary) = _movePenalty(orderId >> 64, provider, terms);
        emit SlaBreachEnforced(
            orderId, orderId >> 64, elementKey, breach, provider, beneficiary, terms.asset, amount, actor
        );
        emit SlaEscalated(orderId, orderId >> 64, elementKey, breach, terms.escalationContact, provider);
    }

    function _movePenalty(uint256 twinId, address provider, SlaTerms storage terms)
        private
        returns (uint256 amount, address beneficiary)
    {
        address asset = terms.asset;
        Bond storage bond = _bonds[twinId][provider][asset];
        uint192 balance = bond.amount;
        uint256 penalty = terms.penalty;
        amount = penalty < balance ? penalty : balance;
        bond.amount = balance - uint192(amount);
        beneficiary = _twinOwner(twinId);
        _claimable[beneficiary][asset] += amount;
    }

    function _emitAssigned(
        uint256 orderId,
        uint256 twinId,
        bytes32 elementKey,
        address provider,
        uint16 termsIndex,
        SlaTerms storage terms,
        address actor
    ) private {
        uint40 now_ = uint40(block.timestamp);
        emit WorkOrderAssigned(
            orderId,
            twinId,
            elementKey,
            provider,
            termsIndex,
            terms.asset,
            terms.penalty,
            now_ + terms.responseTime,
            now_ + terms.resolutionTime,
            terms.escalationContact,
            actor
        );
    }

    function _send(address asset, address to, uint256 amount) private {
        if (asset == address(0)) {
            (bool ok,) = payable(to).call{value: amount}("");
            if (!ok) revert MaintenanceTransferFailed(to);
        } else {
            IERC20(asset).safeTransfer(to, amount);
        }
    }

    /// @dev Every function not defined here runs in the extension, on this contract's storage.
    function _implementation() internal view override returns (address) {
        return address(_extension);
    }
}
