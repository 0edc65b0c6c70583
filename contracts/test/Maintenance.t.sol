// SPDX-License-Identifier: MIT
// Unit and fuzz tests of the maintenance contract: sensors, readings, rules, work orders, bonds,
// SLA enforcement and payments, with every refusal named by its custom error.
pragma solidity ^0.8.28;

import {Vm} from "./utils/Vm.sol";
import {MaintenanceFixture} from "./MaintenanceFixture.sol";
import {MockBondToken} from "./mocks/MockBondToken.sol";
import {MockBondHolder} from "./mocks/MockBondHolder.sol";
import {MaintenanceExtension} from "../maintenance/MaintenanceExtension.sol";
import {IMaintenanceTypes as T} from "../maintenance/IMaintenance.sol";
import {IIntentRelay} from "../interfaces/IIntentRelay.sol";
import {ITwinRoles} from "../interfaces/ITwinRoles.sol";

contract MaintenanceTest is MaintenanceFixture {
    // ---------------------------------------------------------------- sensors

    function test_registerSensor_storesKeyAndBounds() public view {
        T.SensorInfo memory info = maintenance.sensorOf(twin, PUMP, VIBRATION);
        assertEq(info.sensor, sensor, "sensor");
        assertEqInt(info.minValue, 0, "min");
        assertEqInt(info.maxValue, MAX_VIBRATION, "max");
        assertEq(info.lastSequence, 0, "sequence");
    }

    function test_registerSensor_emits() public {
        vm.expectEmit(address(manager));
        emit T.SensorRegistered(twin, FAN, TEMPERATURE, sensor, -40_000, 150_000, owner);
        vm.prank(owner);
        maintenance.registerSensor(twin, FAN, TEMPERATURE, sensor, -40_000, 150_000);
    }

    function test_registerSensor_notAdmin_reverts() public {
        _expectMissingRole(twin, ITwinRoles.Role.Admin, maintainer);
        vm.prank(maintainer);
        maintenance.registerSensor(twin, FAN, TEMPERATURE, sensor, 0, 1);
    }

    function test_registerSensor_zeroKey_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceSensorZero.selector));
        vm.prank(owner);
        maintenance.registerSensor(twin, FAN, TEMPERATURE, address(0), 0, 1);
    }

    function test_registerSensor_minAboveMax_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceBoundsInvalid.selector, int128(2), int128(1)));
        vm.prank(owner);
        maintenance.registerSensor(twin, FAN, TEMPERATURE, sensor, 2, 1);
    }

    function test_revokeSensor_refusesItsReadings() public {
        vm.expectEmit(address(manager));
        emit T.SensorRevoked(twin, PUMP, VIBRATION, sensor, owner);
        vm.prank(owner);
        maintenance.revokeSensor(twin, PUMP, VIBRATION);
        T.Reading memory r = _reading(PUMP, VIBRATION, 9_000);
        bytes memory sig = _signReading(SENSOR_KEY, r);
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceSensorNotRegistered.selector, twin, PUMP, VIBRATION));
        maintenance.reportReading(r, sig);
    }

    function test_revokeSensor_unregistered_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceSensorNotRegistered.selector, twin, FAN, VIBRATION));
        vm.prank(owner);
        maintenance.revokeSensor(twin, FAN, VIBRATION);
    }

    function test_reregisterSensor_keepsSequence_soOldReadingsCannotReplay() public {
        T.Reading memory r = _reading(PUMP, VIBRATION, 1_000);
        bytes memory sig = _signReading(SENSOR_KEY, r);
        maintenance.reportReading(r, sig);
        vm.startPrank(owner);
        maintenance.revokeSensor(twin, PUMP, VIBRATION);
        maintenance.registerSensor(twin, PUMP, VIBRATION, sensor, 0, MAX_VIBRATION);
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceReadingSequenceNotIncreasing.selector, 1, 1));
        maintenance.reportReading(r, sig);
    }

    function test_setReadingWindow_storesAndEmits() public {
        (uint32 age, uint32 skew) = maintenance.readingWindow(twin);
        assertEq(age, 1 hours, "default age");
        assertEq(skew, 5 minutes, "default skew");
        vm.expectEmit(address(manager));
        emit T.ReadingWindowSet(twin, 600, 0, owner);
        vm.prank(owner);
        maintenance.setReadingWindow(twin, 600, 0);
        (age, skew) = maintenance.readingWindow(twin);
        assertEq(age, 600, "age");
        assertEq(skew, 0, "skew");
    }

    function test_setReadingWindow_zeroAge_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceReadingWindowInvalid.selector, 0));
        vm.prank(owner);
        maintenance.setReadingWindow(twin, 0, 10);
    }

    // ---------------------------------------------------------------- readings

    function test_readingDigest_isEip712OverThisContract() public {
        T.Reading memory r = _reading(PUMP, VIBRATION, 1);
        assertEq(maintenance.readingDigest(r), _readingDigest(r), "digest");
        assertEq(maintenance.domainSeparator(), _maintenanceDomain(), "domain");
    }

    function test_reportReading_belowThreshold_recordsOnly() public {
        T.Reading memory r = _reading(PUMP, VIBRATION, 2_300);
        bytes memory sig = _signReading(SENSOR_KEY, r);
        vm.expectEmit(address(manager));
        emit T.ReadingRecorded(twin, PUMP, VIBRATION, sensor, 2_300, r.timestamp, r.sequence);
        vm.prank(relayer);
        maintenance.reportReading(r, sig);
        assertEq(maintenance.workOrderCount(twin), 0, "no order");
        assertEq(maintenance.sensorOf(twin, PUMP, VIBRATION).lastSequence, r.sequence, "sequence");
    }

    function test_reportReading_breach_opensAndAssignsOrder() public {
        T.Reading memory r = _reading(PUMP, VIBRATION, 7_400);
        bytes memory sig = _signReading(SENSOR_KEY, r);
        uint256 orderId = _orderId(1);
        vm.expectEmit(address(manager));
        emit T.ReadingRecorded(twin, PUMP, VIBRATION, sensor, 7_400, r.timestamp, r.sequence);
        vm.expectEmit(address(manager));
        emit T.RuleTriggered(twin, PUMP, rule, 7_400, 0, T.TriggerOutcome.OrderOpened, orderId);
        vm.expectEmit(address(manager));
        emit T.WorkOrderOpened(
            orderId, twin, PUMP, rule, T.RuleAction.OpenWorkOrder, INSPECT, sensor, uint64(block.timestamp)
        );
        vm.expectEmit(address(manager));
        emit T.WorkOrderAssigned(
            orderId,
            twin,
            PUMP,
            provider,
            1,
            address(0),
            PENALTY,
            uint40(block.timestamp + RESPONSE),
            uint40(block.timestamp + RESOLUTION),
            contact,
            sensor
        );
        vm.prank(relayer);
        maintenance.reportReading(r, sig);

        T.WorkOrderInfo memory info = maintenance.workOrder(orderId);
        assertEq(info.twinId, twin, "twin");
        assertEq(info.elementKey, PUMP, "element");
        assertEq(info.ruleId, rule, "rule");
        assertTrue(info.status == T.OrderStatus.Assigned, "assigned");
        assertEq(info.provider, provider, "provider");
        assertEq(info.termsIndex, 1, "terms");
        assertEq(info.respondBy, block.timestamp + RESPONSE, "respondBy");
        assertEq(info.resolveBy, block.timestamp + RESOLUTION, "resolveBy");
        assertEq(maintenance.ruleOf(rule).openOrderId, orderId, "rule's open order");
        (uint256 bond, uint256 open) = maintenance.bondOf(twin, provider, address(0));
        assertEq(bond, BOND, "bond untouched");
        assertEq(open, 1, "bond locked by one order");
    }

    function test_reportReading_breachWhileOrderOpen_opensNoDuplicate() public {
        uint256 first = _report(7_400);
        T.Reading memory r = _reading(PUMP, VIBRATION, 8_000);
        bytes memory sig = _signReading(SENSOR_KEY, r);
        vm.expectEmit(address(manager));
        emit T.RuleTriggered(twin, PUMP, rule, 8_000, 0, T.TriggerOutcome.OrderAlreadyOpen, first);
        maintenance.reportReading(r, sig);
        assertEq(maintenance.workOrderCount(twin), 1, "one order");
    }

    function test_reportReading_afterOrderClosed_opensNext() public {
        uint256 first = _report(7_400);
        vm.prank(maintainer);
        maintenance.completeWorkOrder(first, keccak256("r"), "");
        assertEq(maintenance.ruleOf(rule).openOrderId, 0, "rule free");
        assertEq(_report(7_500), _orderId(2), "second order");
    }

    function test_reportReading_otherKey_reverts() public {
        T.Reading memory r = _reading(PUMP, VIBRATION, 9_000);
        bytes memory sig = _signReading(STRANGER_KEY, r);
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceReadingInvalidSignature.selector, sensor, stranger));
        maintenance.reportReading(r, sig);
    }

    function test_reportReading_malformedSignature_reverts() public {
        T.Reading memory r = _reading(PUMP, VIBRATION, 9_000);
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceReadingInvalidSignature.selector, sensor, address(0)));
        maintenance.reportReading(r, hex"1234");
    }

    function test_reportReading_unregisteredChannel_reverts() public {
        T.Reading memory r = _reading(FAN, VIBRATION, 1);
        bytes memory sig = _signReading(SENSOR_KEY, r);
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceSensorNotRegistered.selector, twin, FAN, VIBRATION));
        maintenance.reportReading(r, sig);
    }

    function test_reportReading_sensorRoleRevoked_reverts() public {
        vm.prank(owner);
        registry.revokeRole(twin, ITwinRoles.Role.Sensor, sensor);
        T.Reading memory r = _reading(PUMP, VIBRATION, 9_000);
        bytes memory sig = _signReading(SENSOR_KEY, r);
        _expectMissingRole(twin, ITwinRoles.Role.Sensor, sensor);
        maintenance.reportReading(r, sig);
    }

    function test_reportReading_sensorRoleExpired_reverts() public {
        vm.prank(owner);
        registry.grantRole(twin, ITwinRoles.Role.Sensor, sensor, uint40(block.timestamp + 60));
        vm.warp(block.timestamp + 61);
        T.Reading memory r = _reading(PUMP, VIBRATION, 9_000);
        bytes memory sig = _signReading(SENSOR_KEY, r);
        _expectMissingRole(twin, ITwinRoles.Role.Sensor, sensor);
        maintenance.reportReading(r, sig);
    }

    function test_reportReading_stale_reverts() public {
        T.Reading memory r = _reading(PUMP, VIBRATION, 9_000);
        vm.warp(block.timestamp + 1 hours + 1);
        bytes memory sig = _signReading(SENSOR_KEY, r);
        vm.expectRevert(
            abi.encodeWithSelector(T.MaintenanceReadingStale.selector, r.timestamp, block.timestamp - 1 hours)
        );
        maintenance.reportReading(r, sig);
    }

    function test_reportReading_fromFuture_reverts() public {
        T.Reading memory r = _reading(PUMP, VIBRATION, 9_000);
        r.timestamp = uint64(block.timestamp + 5 minutes + 1);
        bytes memory sig = _signReading(SENSOR_KEY, r);
        vm.expectRevert(
            abi.encodeWithSelector(T.MaintenanceReadingFromFuture.selector, r.timestamp, block.timestamp + 5 minutes)
        );
        maintenance.reportReading(r, sig);
    }

    function test_reportReading_replay_reverts() public {
        T.Reading memory r = _reading(PUMP, VIBRATION, 1_000);
        bytes memory sig = _signReading(SENSOR_KEY, r);
        maintenance.reportReading(r, sig);
        vm.expectRevert(
            abi.encodeWithSelector(
                T.MaintenanceReadingSequenceNotIncreasing.selector, r.sequence, r.sequence
            )
        );
        maintenance.reportReading(r, sig);
    }

    function test_reportReading_outOfBounds_reverts() public {
        T.Reading memory high = _reading(PUMP, VIBRATION, MAX_VIBRATION + 1);
        bytes memory sig = _signReading(SENSOR_KEY, high);
        vm.expectRevert(
            abi.encodeWithSelector(
                T.MaintenanceReadingOutOfBounds.selector, MAX_VIBRATION + 1, int128(0), MAX_VIBRATION
            )
        );
        maintenance.reportReading(high, sig);
        T.Reading memory low = _reading(PUMP, VIBRATION, -1);
        sig = _signReading(SENSOR_KEY, low);
        vm.expectRevert(
            abi.encodeWithSelector(T.MaintenanceReadingOutOfBounds.selector, int128(-1), int128(0), MAX_VIBRATION)
        );
        maintenance.reportReading(low, sig);
    }

    function test_reportReading_noSlaTerms_leavesOrderOpen() public {
        vm.prank(owner);
        uint256 other = registry.mintTwin(owner, "Other", "uri");
        vm.startPrank(owner);
        registry.grantRole(other, ITwinRoles.Role.Sensor, sensor, 0);
        maintenance.registerSensor(other, PUMP, VIBRATION, sensor, 0, MAX_VIBRATION);
        maintenance.addConditionRule(
            other, PUMP, VIBRATION, T.Comparator.AtOrAbove, 10, T.RuleAction.OpenWorkOrder, INSPECT
        );
        vm.stopPrank();
        T.Reading memory r = _reading(PUMP, VIBRATION, 10);
        r.twinId = other;
        maintenance.reportReading(r, _signReading(SENSOR_KEY, r));
        T.WorkOrderInfo memory info = maintenance.workOrder((other << 64) | 1);
        assertTrue(info.status == T.OrderStatus.Open, "open, unassigned");
        assertEq(info.provider, address(0), "no provider");
        assertEq(info.respondBy, 0, "no deadline");
    }

    function test_reportReading_providerUnbonded_leavesOrderOpen() public {
        vm.prank(provider);
        maintenance.withdrawBond(twin, address(0), BOND);
        uint256 orderId = _report(9_000);
        assertTrue(_status(orderId) == T.OrderStatus.Open, "open");
    }

    function test_reportReading_alertOnlyRule_emitsAlert() public {
        vm.prank(owner);
        uint256 alert = maintenance.addConditionRule(
            twin, PUMP, VIBRATION, T.Comparator.AtOrAbove, 5_000, T.RuleAction.AlertOnly, bytes32(0)
        );
        T.Reading memory r = _reading(PUMP, VIBRATION, 5_000);
        bytes memory sig = _signReading(SENSOR_KEY, r);
        vm.expectEmit(address(manager));
        emit T.RuleTriggered(twin, PUMP, alert, 5_000, 0, T.TriggerOutcome.Alert, 0);
        maintenance.reportReading(r, sig);
        assertEq(maintenance.workOrderCount(twin), 0, "alert opens nothing");
    }

    function test_reportReading_requestPartsRule_opensPartsOrder() public {
        vm.prank(owner);
        uint256 parts = maintenance.addConditionRule(
            twin, PUMP, VIBRATION, T.Comparator.AtOrBelow, 100, T.RuleAction.RequestParts, "SKF-6205-2RS"
        );
        T.Reading memory r = _reading(PUMP, VIBRATION, 100);
        bytes memory sig = _signReading(SENSOR_KEY, r);
        vm.expectEmit(address(manager));
        emit T.WorkOrderOpened(
            _orderId(1), twin, PUMP, parts, T.RuleAction.RequestParts, "SKF-6205-2RS", sensor, uint64(block.timestamp)
        );
        maintenance.reportReading(r, sig);
    }

    function test_usageRule_opensAtLifeLimit_andCountsNextLifeFromThere() public {
        vm.startPrank(owner);
        maintenance.registerSensor(twin, FAN, HOURS, sensor, 0, type(int128).max);
        uint256 usage =
            maintenance.addUsageRule(twin, FAN, HOURS, 2_000, 500, T.RuleAction.OpenWorkOrder, "replace_belt");
        vm.stopPrank();
        T.RuleInfo memory info = maintenance.ruleOf(usage);
        assertTrue(info.kind == T.RuleKind.Usage && info.comparator == T.Comparator.AtOrAbove, "usage rule");

        T.Reading memory r = _reading(FAN, HOURS, 2_499);
        maintenance.reportReading(r, _signReading(SENSOR_KEY, r));
        assertEq(maintenance.workOrderCount(twin), 0, "below life limit");

        r = _reading(FAN, HOURS, 2_500);
        bytes memory sig = _signReading(SENSOR_KEY, r);
        vm.expectEmit(address(manager));
        emit T.RuleTriggered(twin, FAN, usage, 2_500, 500, T.TriggerOutcome.OrderOpened, _orderId(1));
        maintenance.reportReading(r, sig);
        assertEqInt(maintenance.ruleOf(usage).usageBaseline, 2_500, "baseline moved");

        vm.prank(maintainer);
        maintenance.completeWorkOrder(_orderId(1), keccak256("belt"), "");
        r = _reading(FAN, HOURS, 4_499);
        maintenance.reportReading(r, _signReading(SENSOR_KEY, r));
        assertEq(maintenance.workOrderCount(twin), 1, "next life not reached");
    }

    function test_reportReadings_badReadingRejectedAlone() public {
        T.Reading[] memory readings = new T.Reading[](3);
        bytes[] memory sigs = new bytes[](3);
        readings[0] = _reading(PUMP, VIBRATION, 1_000);
        sigs[0] = _signReading(SENSOR_KEY, readings[0]);
        readings[1] = _reading(PUMP, VIBRATION, MAX_VIBRATION + 5);
        sigs[1] = _signReading(SENSOR_KEY, readings[1]);
        readings[2] = _reading(PUMP, VIBRATION, 7_200);
        sigs[2] = _signReading(SENSOR_KEY, readings[2]);
        vm.expectEmit(address(manager));
        emit T.ReadingRejected(
            1,
            twin,
            PUMP,
            VIBRATION,
            readings[1].sequence,
            abi.encodeWithSelector(
                T.MaintenanceReadingOutOfBounds.selector, MAX_VIBRATION + 5, int128(0), MAX_VIBRATION
            )
        );
        vm.expectEmit(address(manager));
        emit T.ReadingBatchReported(relayer, 3, 1);
        vm.prank(relayer);
        bool[] memory ok = maintenance.reportReadings(readings, sigs);
        assertTrue(ok[0] && !ok[1] && ok[2], "only the bad one fails");
        assertEq(maintenance.workOrderCount(twin), 1, "breach in batch opened an order");
        assertEq(maintenance.sensorOf(twin, PUMP, VIBRATION).lastSequence, readings[2].sequence, "sequence");
    }

    function test_reportReadings_lengthMismatch_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceBatchLengthMismatch.selector, 1, 0));
        maintenance.reportReadings(new T.Reading[](1), new bytes[](0));
    }

    // ---------------------------------------------------------------- rules

    function test_addRule_emitsAndLists() public {
        vm.expectEmit(address(manager));
        emit T.RuleAdded(
            twin,
            PUMP,
            _ruleId(2),
            VIBRATION,
            T.RuleKind.Condition,
            T.Comparator.Below,
            5,
            0,
            T.RuleAction.AlertOnly,
            "low",
            owner
        );
        vm.prank(owner);
        maintenance.addConditionRule(twin, PUMP, VIBRATION, T.Comparator.Below, 5, T.RuleAction.AlertOnly, "low");
        uint256[] memory ids = maintenance.rulesOf(twin, PUMP, VIBRATION);
        assertEq(ids.length, 2, "two rules");
        assertEq(ids[1], _ruleId(2), "second");
        T.RuleInfo memory info = maintenance.ruleOf(rule);
        assertEq(info.twinId, twin, "twin");
        assertEq(info.elementKey, PUMP, "element");
        assertEq(info.metric, VIBRATION, "metric");
        assertEqInt(info.threshold, THRESHOLD, "threshold");
        assertEq(info.actionRef, INSPECT, "kind");
        assertTrue(info.active, "active");
    }

    function test_addRule_notAdmin_reverts() public {
        _expectMissingRole(twin, ITwinRoles.Role.Admin, maintainer);
        vm.prank(maintainer);
        maintenance.addConditionRule(twin, PUMP, VIBRATION, T.Comparator.Below, 5, T.RuleAction.AlertOnly, "");
    }

    function test_addRule_orderWithoutKind_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceRuleActionRefZero.selector));
        vm.prank(owner);
        maintenance.addConditionRule(twin, PUMP, VIBRATION, T.Comparator.Below, 5, T.RuleAction.OpenWorkOrder, "");
    }

    function test_addUsageRule_nonPositiveLimit_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceUsageLimitInvalid.selector, int128(0)));
        vm.prank(owner);
        maintenance.addUsageRule(twin, FAN, HOURS, 0, 0, T.RuleAction.AlertOnly, "");
    }

    function test_addRule_ninthOnChannel_reverts() public {
        vm.startPrank(owner);
        for (uint256 i = 1; i < 8; ++i) {
            maintenance.addConditionRule(
                twin, PUMP, VIBRATION, T.Comparator.Above, int128(int256(i)), T.RuleAction.AlertOnly, ""
            );
        }
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceTooManyRules.selector, twin, PUMP, VIBRATION));
        maintenance.addConditionRule(twin, PUMP, VIBRATION, T.Comparator.Above, 9, T.RuleAction.AlertOnly, "");
        vm.stopPrank();
        assertEq(maintenance.rulesOf(twin, PUMP, VIBRATION).length, 8, "eight rules");
    }

    function test_removeRule_keepsListPacked_andStopsBreaching() public {
        vm.startPrank(owner);
        uint256 second =
            maintenance.addConditionRule(twin, PUMP, VIBRATION, T.Comparator.Below, 5, T.RuleAction.AlertOnly, "");
        uint256 third =
            maintenance.addConditionRule(twin, PUMP, VIBRATION, T.Comparator.Below, 6, T.RuleAction.AlertOnly, "");
        vm.expectEmit(address(manager));
        emit T.RuleRemoved(twin, PUMP, rule, owner);
        maintenance.removeRule(rule);
        vm.stopPrank();
        uint256[] memory ids = maintenance.rulesOf(twin, PUMP, VIBRATION);
        assertEq(ids.length, 2, "two left");
        assertEq(ids[0], third, "last moved into the gap");
        assertEq(ids[1], second, "second stays");
        assertTrue(!maintenance.ruleOf(rule).active, "inactive");
        assertEq(_report(9_000), 0, "removed rule opens nothing");
        vm.prank(owner);
        maintenance.removeRule(second);
        assertEq(maintenance.rulesOf(twin, PUMP, VIBRATION)[0], third, "last one removed in place");
    }

    function test_removeRule_twiceOrUnknown_reverts() public {
        vm.prank(owner);
        maintenance.removeRule(rule);
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceRuleUnknown.selector, rule));
        vm.prank(owner);
        maintenance.removeRule(rule);
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceRuleUnknown.selector, _ruleId(9)));
        maintenance.ruleOf(_ruleId(9));
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceRuleUnknown.selector, 0));
        maintenance.ruleOf(0);
    }

    function test_removeRule_notAdmin_reverts() public {
        _expectMissingRole(twin, ITwinRoles.Role.Admin, maintainer);
        vm.prank(maintainer);
        maintenance.removeRule(rule);
    }

    function test_removeRule_withOpenOrder_orderStaysAndCloses() public {
        uint256 orderId = _report(9_000);
        vm.prank(owner);
        maintenance.removeRule(rule);
        vm.prank(maintainer);
        maintenance.completeWorkOrder(orderId, keccak256("r"), "");
        assertTrue(_status(orderId) == T.OrderStatus.Completed, "completed");
        assertEq(maintenance.workOrder(orderId).elementKey, PUMP, "element kept");
    }

    // ---------------------------------------------------------------- SLA terms and bonds

    function test_setSlaTerms_emitsAndIndexes() public {
        T.SlaTerms memory terms = _terms(address(0xAB), 5);
        vm.expectEmit(address(manager));
        emit T.SlaTermsSet(twin, 2, provider, address(0xAB), 5, RESPONSE, RESOLUTION, contact, owner);
        vm.prank(owner);
        assertEq(maintenance.setSlaTerms(twin, terms), 2, "index");
        assertEq(maintenance.currentSlaTermsIndex(twin), 2, "current");
        assertEq(maintenance.slaTerms(twin, 1).penalty, PENALTY, "old terms kept");
        assertEq(maintenance.slaTerms(twin, 2).asset, address(0xAB), "new terms");
    }

    function test_setSlaTerms_invalid_reverts() public {
        T.SlaTerms memory terms = _terms(address(0), 0);
        vm.startPrank(owner);
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceSlaTermsInvalid.selector, RESPONSE, RESOLUTION));
        maintenance.setSlaTerms(twin, terms);
        terms.penalty = 1;
        terms.responseTime = 0;
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceSlaTermsInvalid.selector, 0, RESOLUTION));
        maintenance.setSlaTerms(twin, terms);
        terms.responseTime = RESOLUTION + 1;
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceSlaTermsInvalid.selector, RESOLUTION + 1, RESOLUTION));
        maintenance.setSlaTerms(twin, terms);
        vm.stopPrank();
        _expectMissingRole(twin, ITwinRoles.Role.Admin, stranger);
        vm.prank(stranger);
        maintenance.setSlaTerms(twin, _terms(address(0), 1));
    }

    function test_postBond_eth_topsUp() public {
        vm.expectEmit(address(manager));
        emit T.BondPosted(twin, provider, address(0), 1 ether, BOND + 1 ether);
        vm.prank(provider);
        maintenance.postBond{value: 1 ether}(twin, address(0), 1 ether);
        (uint256 amount,) = maintenance.bondOf(twin, provider, address(0));
        assertEq(amount, BOND + 1 ether, "bond");
        assertEq(address(manager).balance, BOND + 1 ether, "held");
    }

    function test_postBond_badPayment_reverts() public {
        vm.startPrank(provider);
        vm.expectRevert(abi.encodeWithSelector(T.MaintenancePaymentMismatch.selector, 1, 2));
        maintenance.postBond{value: 1}(twin, address(0), 2);
        vm.expectRevert(abi.encodeWithSelector(T.MaintenancePaymentMismatch.selector, 1, 0));
        maintenance.postBond{value: 1}(twin, address(0xAB), 1);
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceValueZero.selector));
        maintenance.postBond(twin, address(0), 0);
        vm.expectRevert();
        maintenance.postBond{value: 1}(twin + 99, address(0), 1);
        vm.stopPrank();
    }

    function test_postBond_feeToken_countsWhatArrives() public {
        MockBondToken token = new MockBondToken();
        token.setFeeBps(100);
        token.mint(provider, 1_000);
        vm.startPrank(provider);
        token.approve(address(manager), 1_000);
        vm.expectEmit(address(manager));
        emit T.BondPosted(twin, provider, address(token), 990, 990);
        maintenance.postBond(twin, address(token), 1_000);
        vm.stopPrank();
        (uint256 amount,) = maintenance.bondOf(twin, provider, address(token));
        assertEq(amount, 990, "received");
    }

    function test_withdrawBond_lockedWhileOrderOpen_freeAfter() public {
        uint256 orderId = _report(9_000);
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceBondLocked.selector, twin, provider, address(0), 1));
        vm.prank(provider);
        maintenance.withdrawBond(twin, address(0), 1);
        vm.prank(maintainer);
        maintenance.completeWorkOrder(orderId, keccak256("r"), "");
        uint256 before = provider.balance;
        vm.expectEmit(address(manager));
        emit T.BondWithdrawn(twin, provider, address(0), BOND, 0);
        vm.prank(provider);
        maintenance.withdrawBond(twin, address(0), BOND);
        assertEq(provider.balance, before + BOND, "paid back");
    }

    function test_withdrawBond_tooMuchOrZero_reverts() public {
        vm.startPrank(provider);
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceInsufficientBalance.selector, BOND, BOND + 1));
        maintenance.withdrawBond(twin, address(0), BOND + 1);
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceValueZero.selector));
        maintenance.withdrawBond(twin, address(0), 0);
        vm.stopPrank();
    }

    function test_withdrawBond_token() public {
        MockBondToken token = new MockBondToken();
        token.mint(provider, 500);
        vm.startPrank(provider);
        token.approve(address(manager), 500);
        maintenance.postBond(twin, address(token), 500);
        maintenance.withdrawBond(twin, address(token), 200);
        vm.stopPrank();
        assertEq(token.balanceOf(provider), 200, "returned");
        assertEq(token.balanceOf(address(manager)), 300, "kept");
    }

    function test_withdrawBond_reentry_blocked() public {
        MockBondHolder holder = new MockBondHolder(maintenance);
        cheats.deal(address(holder), 10);
        holder.postBond(twin, 10);
        holder.configure(false, true, twin);
        holder.withdrawBond(twin, 5);
        bytes memory reason = holder.lastReentryError();
        assertEq(bytes4(reason), bytes4(keccak256("ReentrancyGuardReentrantCall()")), "re-entry refused");
        (uint256 amount,) = maintenance.bondOf(twin, address(holder), address(0));
        assertEq(amount, 5, "one withdrawal only");
    }

    function test_withdrawBond_recipientRefuses_reverts() public {
        MockBondHolder holder = new MockBondHolder(maintenance);
        cheats.deal(address(holder), 10);
        holder.postBond(twin, 10);
        holder.configure(true, false, twin);
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceTransferFailed.selector, address(holder)));
        holder.withdrawBond(twin, 5);
    }

    function test_receive_refusesPlainEth() public {
        vm.expectRevert(abi.encodeWithSelector(T.MaintenancePaymentMismatch.selector, 1, 0));
        vm.prank(provider);
        (bool ok,) = address(manager).call{value: 1}("");
        ok;
    }

    // ---------------------------------------------------------------- work orders by hand

    function test_openWorkOrder_byMaintainer_assignsToBondedProvider() public {
        vm.expectEmit(address(manager));
        emit T.WorkOrderOpened(
            _orderId(1), twin, FAN, 0, T.RuleAction.OpenWorkOrder, "clean_filter", maintainer, uint64(block.timestamp)
        );
        vm.prank(maintainer);
        uint256 orderId = maintenance.openWorkOrder(twin, FAN, "clean_filter");
        T.WorkOrderInfo memory info = maintenance.workOrder(orderId);
        assertEq(info.elementKey, FAN, "element");
        assertEq(info.ruleId, 0, "by hand");
        assertTrue(info.status == T.OrderStatus.Assigned, "assigned");
    }

    function test_openWorkOrder_byAdmin_andByStranger() public {
        vm.prank(owner);
        maintenance.openWorkOrder(twin, FAN, "k");
        _expectMissingRole(twin, ITwinRoles.Role.Maintainer, stranger);
        vm.prank(stranger);
        maintenance.openWorkOrder(twin, FAN, "k");
    }

    function test_openWorkOrder_zeroKind_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceValueZero.selector));
        vm.prank(maintainer);
        maintenance.openWorkOrder(twin, FAN, "");
    }

    function test_openWorkOrderBySig_relayed() public {
        T.OpenWorkOrderIntent memory intent = _openIntent(maintainer, FAN, "lubricate");
        bytes memory sig = _signOpen(MAINTAINER_KEY, intent);
        vm.prank(relayer);
        uint256 orderId = maintenance.openWorkOrderBySig(intent, sig);
        assertEq(maintenance.workOrder(orderId).elementKey, FAN, "opened");
        assertEq(maintenance.intentNonce(maintainer, twin), 1, "nonce used");
    }

    function test_assignWorkOrder_byHand_afterTermsAndBond() public {
        vm.prank(provider);
        maintenance.withdrawBond(twin, address(0), BOND);
        vm.prank(maintainer);
        uint256 orderId = maintenance.openWorkOrder(twin, FAN, "k");
        assertTrue(_status(orderId) == T.OrderStatus.Open, "open");
        address other = address(0x0E7);
        cheats.deal(other, 5 ether);
        vm.expectRevert(
            abi.encodeWithSelector(
                T.MaintenanceBondInsufficient.selector, twin, other, address(0), 0, PENALTY
            )
        );
        vm.prank(owner);
        maintenance.assignWorkOrder(orderId, other);
        vm.prank(other);
        maintenance.postBond{value: 2 ether}(twin, address(0), 2 ether);
        vm.expectEmit(address(manager));
        emit T.WorkOrderAssigned(
            orderId,
            twin,
            FAN,
            other,
            1,
            address(0),
            PENALTY,
            uint40(block.timestamp + RESPONSE),
            uint40(block.timestamp + RESOLUTION),
            contact,
            owner
        );
        vm.prank(owner);
        maintenance.assignWorkOrder(orderId, other);
        (, uint256 open) = maintenance.bondOf(twin, other, address(0));
        assertEq(open, 1, "locks the assignee's bond");
        vm.expectRevert(
            abi.encodeWithSelector(
                T.MaintenanceOrderWrongStatus.selector, orderId, T.OrderStatus.Assigned
            )
        );
        vm.prank(owner);
        maintenance.assignWorkOrder(orderId, other);
    }

    function test_assignWorkOrder_noTerms_reverts() public {
        vm.prank(owner);
        uint256 other = registry.mintTwin(owner, "Other", "uri");
        vm.prank(owner);
        uint256 orderId = maintenance.openWorkOrder(other, FAN, "k");
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceSlaTermsMissing.selector, other));
        vm.prank(owner);
        maintenance.assignWorkOrder(orderId, provider);
    }

    function test_workOrder_unknown_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceOrderUnknown.selector, _orderId(7)));
        maintenance.workOrder(_orderId(7));
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceOrderUnknown.selector, _orderId(7)));
        maintenance.enforce(_orderId(7), T.Breach.Response);
    }

    // ---------------------------------------------------------------- accept, complete, cancel

    function test_acceptWorkOrder_byProvider_inTime() public {
        uint256 orderId = _report(9_000);
        vm.expectEmit(address(manager));
        emit T.WorkOrderAccepted(orderId, twin, PUMP, provider, false);
        vm.prank(provider);
        maintenance.acceptWorkOrder(orderId);
        assertTrue(_status(orderId) == T.OrderStatus.Accepted, "accepted");
        vm.warp(block.timestamp + RESPONSE + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                T.MaintenanceBreachNotDue.selector, orderId, T.Breach.Response, uint40(block.timestamp - 1)
            )
        );
        maintenance.enforce(orderId, T.Breach.Response);
    }

    function test_acceptWorkOrder_wrongCallerOrStatus_reverts() public {
        uint256 orderId = _report(9_000);
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceNotOrderProvider.selector, orderId, stranger));
        vm.prank(stranger);
        maintenance.acceptWorkOrder(orderId);
        vm.prank(provider);
        maintenance.acceptWorkOrder(orderId);
        vm.expectRevert(
            abi.encodeWithSelector(
                T.MaintenanceOrderWrongStatus.selector, orderId, T.OrderStatus.Accepted
            )
        );
        vm.prank(provider);
        maintenance.acceptWorkOrder(orderId);
    }

    function test_acceptWorkOrder_late_responseBreachStaysEnforceable() public {
        uint256 orderId = _report(9_000);
        vm.warp(block.timestamp + RESPONSE + 10);
        vm.expectEmit(address(manager));
        emit T.WorkOrderAccepted(orderId, twin, PUMP, provider, true);
        vm.prank(provider);
        maintenance.acceptWorkOrder(orderId);
        assertTrue(maintenance.workOrder(orderId).respondedLate, "late");
        assertEq(maintenance.enforce(orderId, T.Breach.Response), PENALTY, "penalised after acceptance");
    }

    function test_completeWorkOrder_emitsAndReleasesBond() public {
        uint256 orderId = _report(9_000);
        vm.prank(provider);
        maintenance.acceptWorkOrder(orderId);
        vm.expectEmit(address(manager));
        emit T.WorkOrderCompleted(orderId, twin, PUMP, maintainer, keccak256("r"), "ipfs://r", uint64(block.timestamp));
        vm.prank(maintainer);
        maintenance.completeWorkOrder(orderId, keccak256("r"), "ipfs://r");
        (, uint256 open) = maintenance.bondOf(twin, provider, address(0));
        assertEq(open, 0, "released");
        vm.expectRevert(
            abi.encodeWithSelector(
                T.MaintenanceOrderWrongStatus.selector, orderId, T.OrderStatus.Completed
            )
        );
        vm.prank(maintainer);
        maintenance.completeWorkOrder(orderId, keccak256("r"), "");
        vm.expectRevert(
            abi.encodeWithSelector(
                T.MaintenanceOrderWrongStatus.selector, orderId, T.OrderStatus.Completed
            )
        );
        maintenance.enforce(orderId, T.Breach.Resolution);
    }

    function test_completeWorkOrder_notMaintainerOrNoReport_reverts() public {
        uint256 orderId = _report(9_000);
        _expectMissingRole(twin, ITwinRoles.Role.Maintainer, provider);
        vm.prank(provider);
        maintenance.completeWorkOrder(orderId, keccak256("r"), "");
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceValueZero.selector));
        vm.prank(maintainer);
        maintenance.completeWorkOrder(orderId, bytes32(0), "");
    }

    function test_completeWorkOrder_late_settlesBothBreaches() public {
        uint256 orderId = _report(9_000);
        vm.warp(block.timestamp + RESOLUTION + 1);
        vm.recordLogs();
        vm.prank(maintainer);
        maintenance.completeWorkOrder(orderId, keccak256("r"), "");
        assertEq(maintenance.claimableOf(owner, address(0)), 2 * PENALTY, "two penalties");
        T.WorkOrderInfo memory info = maintenance.workOrder(orderId);
        assertTrue(info.responseEnforced && info.resolutionEnforced, "both settled");
        assertEq(_count(vm.getRecordedLogs(), T.SlaEscalated.selector), 2, "two escalations");
    }

    function test_completeWorkOrderBySig_viaRelayBatch() public {
        uint256 orderId = _report(9_000);
        T.CompleteWorkOrderIntent memory intent = _completeIntent(maintainer, orderId);
        bytes[] memory calls = new bytes[](1);
        calls[0] = abi.encodeCall(maintenance.completeWorkOrderBySig, (intent, _signComplete(MAINTAINER_KEY, intent)));
        vm.prank(relayer);
        bool[] memory ok = maintenance.relayBatch(calls);
        assertTrue(ok[0], "relayed");
        assertTrue(_status(orderId) == T.OrderStatus.Completed, "completed offline");
    }

    function test_completeWorkOrderBySig_twinMismatch_reverts() public {
        uint256 orderId = _report(9_000);
        T.CompleteWorkOrderIntent memory intent = _completeIntent(maintainer, orderId);
        intent.twinId = twin + 1;
        bytes memory sig = _signComplete(MAINTAINER_KEY, intent);
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceOrderTwinMismatch.selector, orderId, twin + 1));
        maintenance.completeWorkOrderBySig(intent, sig);
    }

    function test_completeWorkOrderBySig_signerLostRole_failsInBatch() public {
        uint256 orderId = _report(9_000);
        T.CompleteWorkOrderIntent memory intent = _completeIntent(maintainer, orderId);
        bytes memory sig = _signComplete(MAINTAINER_KEY, intent);
        vm.prank(owner);
        registry.endEngagement(twin, maintainer);
        bytes[] memory calls = new bytes[](2);
        calls[0] = abi.encodeCall(maintenance.completeWorkOrderBySig, (intent, sig));
        calls[1] = abi.encodeWithSelector(maintenance.enforce.selector, orderId, T.Breach.Response);
        vm.expectEmit(address(manager));
        emit IIntentRelay.IntentFailed(
            0, abi.encodeWithSelector(ITwinRoles.TwinMissingRole.selector, twin, ITwinRoles.Role.Maintainer, maintainer)
        );
        bool[] memory ok = maintenance.relayBatch(calls);
        assertTrue(!ok[0] && !ok[1], "role checked at relay; enforce is not an intent");
    }

    function test_cancelWorkOrder_openAndAssigned() public {
        vm.prank(maintainer);
        uint256 handOpened = maintenance.openWorkOrder(twin, FAN, "k");
        uint256 ruled = _report(9_000);
        vm.warp(block.timestamp + RESPONSE + 1);
        vm.expectEmit(address(manager));
        emit T.WorkOrderCancelled(ruled, twin, PUMP, owner, "duplicate");
        vm.prank(owner);
        maintenance.cancelWorkOrder(ruled, "duplicate");
        assertEq(maintenance.claimableOf(owner, address(0)), PENALTY, "due response breach settled");
        assertEq(maintenance.ruleOf(rule).openOrderId, 0, "rule free again");
        vm.prank(maintainer);
        maintenance.cancelWorkOrder(handOpened, "");
        (, uint256 open) = maintenance.bondOf(twin, provider, address(0));
        assertEq(open, 0, "both released");
        _expectMissingRole(twin, ITwinRoles.Role.Maintainer, stranger);
        vm.prank(stranger);
        maintenance.cancelWorkOrder(ruled, "");
    }

    function test_cancelWorkOrder_unassigned() public {
        vm.prank(provider);
        maintenance.withdrawBond(twin, address(0), BOND);
        uint256 orderId = _report(9_000);
        vm.prank(owner);
        maintenance.cancelWorkOrder(orderId, "");
        assertTrue(_status(orderId) == T.OrderStatus.Cancelled, "cancelled");
    }

    // ---------------------------------------------------------------- enforcement and payments

    function test_enforce_responseBreach_movesPenaltyAndEscalates() public {
        uint256 orderId = _report(9_000);
        uint40 respondBy = uint40(block.timestamp + RESPONSE);
        vm.expectRevert(
            abi.encodeWithSelector(
                T.MaintenanceBreachNotDue.selector, orderId, T.Breach.Response, respondBy
            )
        );
        maintenance.enforce(orderId, T.Breach.Response);
        vm.warp(respondBy + 1);
        vm.expectEmit(address(manager));
        emit T.SlaBreachEnforced(
            orderId, twin, PUMP, T.Breach.Response, provider, owner, address(0), PENALTY, stranger
        );
        vm.expectEmit(address(manager));
        emit T.SlaEscalated(orderId, twin, PUMP, T.Breach.Response, contact, provider);
        vm.prank(stranger);
        assertEq(maintenance.enforce(orderId, T.Breach.Response), PENALTY, "amount");
        (uint256 bond,) = maintenance.bondOf(twin, provider, address(0));
        assertEq(bond, BOND - PENALTY, "bond paid");
        assertEq(maintenance.claimableOf(owner, address(0)), PENALTY, "owner credited");
        vm.expectRevert(
            abi.encodeWithSelector(
                T.MaintenanceBreachAlreadyEnforced.selector, orderId, T.Breach.Response
            )
        );
        maintenance.enforce(orderId, T.Breach.Response);
    }

    function test_enforce_resolution_onceAndCapped() public {
        vm.prank(owner);
        maintenance.setSlaTerms(twin, _terms(address(0), 2 ether));
        uint256 orderId = _report(9_000);
        vm.expectRevert(
            abi.encodeWithSelector(
                T.MaintenanceBreachNotDue.selector, orderId, T.Breach.Resolution, uint40(block.timestamp + RESOLUTION)
            )
        );
        maintenance.enforce(orderId, T.Breach.Resolution);
        vm.warp(block.timestamp + RESOLUTION + 1);
        assertEq(maintenance.enforce(orderId, T.Breach.Resolution), 2 ether, "full penalty");
        vm.expectRevert(
            abi.encodeWithSelector(
                T.MaintenanceBreachAlreadyEnforced.selector, orderId, T.Breach.Resolution
            )
        );
        maintenance.enforce(orderId, T.Breach.Resolution);
        // The second penalty of 2 ether is capped at the 1 ether left.
        assertEq(maintenance.enforce(orderId, T.Breach.Response), 1 ether, "capped at the bond");
        (uint256 bond,) = maintenance.bondOf(twin, provider, address(0));
        assertEq(bond, 0, "bond spent");
        assertEq(maintenance.claimableOf(owner, address(0)), BOND, "owner got exactly the bond");
        vm.prank(maintainer);
        uint256 next = maintenance.openWorkOrder(twin, FAN, "k");
        assertTrue(_status(next) == T.OrderStatus.Open, "an empty bond is not assigned");
    }

    function test_enforce_emptyBond_stillEscalates() public {
        uint256 orderId = _report(9_000);
        vm.warp(block.timestamp + RESOLUTION + 1);
        maintenance.enforce(orderId, T.Breach.Response);
        maintenance.enforce(orderId, T.Breach.Resolution);
        vm.prank(owner);
        maintenance.setSlaTerms(twin, _terms(address(0), 1 ether));
        // 1 ether left: a third order on the same bond, then its breaches empty it and find nothing.
        vm.prank(maintainer);
        uint256 second = maintenance.openWorkOrder(twin, FAN, "k");
        vm.warp(block.timestamp + RESOLUTION + 1);
        assertEq(maintenance.enforce(second, T.Breach.Response), 1 ether, "last ether");
        vm.expectEmit(address(manager));
        emit T.SlaEscalated(second, twin, FAN, T.Breach.Resolution, contact, provider);
        assertEq(maintenance.enforce(second, T.Breach.Resolution), 0, "nothing left, escalated anyway");
    }

    function test_enforce_openOrder_wrongStatus() public {
        vm.prank(provider);
        maintenance.withdrawBond(twin, address(0), BOND);
        uint256 orderId = _report(9_000);
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceOrderWrongStatus.selector, orderId, T.OrderStatus.Open));
        maintenance.enforce(orderId, T.Breach.Response);
    }

    function test_withdraw_paysOwnerOnce() public {
        uint256 orderId = _report(9_000);
        vm.warp(block.timestamp + RESPONSE + 1);
        maintenance.enforce(orderId, T.Breach.Response);
        uint256 before = owner.balance;
        vm.expectEmit(address(manager));
        emit T.PaymentWithdrawn(owner, address(0), PENALTY);
        vm.prank(owner);
        assertEq(maintenance.withdraw(address(0)), PENALTY, "amount");
        assertEq(owner.balance, before + PENALTY, "paid");
        vm.expectRevert(abi.encodeWithSelector(T.MaintenanceInsufficientBalance.selector, 0, 0));
        vm.prank(owner);
        maintenance.withdraw(address(0));
    }

    function test_tokenSla_penaltyAndWithdraw() public {
        MockBondToken token = new MockBondToken();
        token.mint(provider, 10);
        vm.prank(owner);
        maintenance.setSlaTerms(twin, _terms(address(token), 4));
        vm.startPrank(provider);
        token.approve(address(manager), 10);
        maintenance.postBond(twin, address(token), 10);
        vm.stopPrank();
        uint256 orderId = _report(9_000);
        (, uint256 ethOpen) = maintenance.bondOf(twin, provider, address(0));
        assertEq(ethOpen, 0, "the ETH bond is free");
        vm.warp(block.timestamp + RESPONSE + 1);
        maintenance.enforce(orderId, T.Breach.Response);
        vm.prank(owner);
        maintenance.withdraw(address(token));
        assertEq(token.balanceOf(owner), 4, "owner paid in tokens");
        assertEq(token.balanceOf(address(manager)), 6, "rest of the bond");
    }

    function test_extension_isDeployedAndDelegatedTo() public {
        address ext = manager.extension();
        assertTrue(ext.code.length > 0, "deployed");
        // Calling the extension directly touches only its own storage, never the manager's.
        MaintenanceExtension(ext).workOrderCount(twin);
        vm.prank(owner);
        MaintenanceExtension(ext).setReadingWindow(twin, 7, 7);
        (uint32 age,) = maintenance.readingWindow(twin);
        assertEq(age, 1 hours, "manager unaffected");
    }

    // ---------------------------------------------------------------- fuzz

    function testFuzz_conditionRule_comparators(int128 value, int128 threshold, uint8 comparatorSeed) public {
        T.Comparator comparator = T.Comparator(comparatorSeed % 4);
        vm.startPrank(owner);
        maintenance.registerSensor(twin, FAN, TEMPERATURE, sensor, type(int128).min, type(int128).max);
        maintenance.addConditionRule(twin, FAN, TEMPERATURE, comparator, threshold, T.RuleAction.OpenWorkOrder, "k");
        vm.stopPrank();
        T.Reading memory r = _reading(FAN, TEMPERATURE, value);
        maintenance.reportReading(r, _signReading(SENSOR_KEY, r));
        bool expected = comparator == T.Comparator.Above
            ? value > threshold
            : comparator == T.Comparator.AtOrAbove ? value >= threshold : comparator == T.Comparator.Below
                ? value < threshold
                : value <= threshold;
        assertEq(maintenance.workOrderCount(twin), expected ? 1 : 0, "breach iff comparison holds");
    }

    function testFuzz_usageRule_extremeValues_neverOverflow(int128 value, int128 baseline, int128 limit) public {
        vm.assume(limit > 0);
        vm.startPrank(owner);
        maintenance.registerSensor(twin, FAN, HOURS, sensor, type(int128).min, type(int128).max);
        maintenance.addUsageRule(twin, FAN, HOURS, limit, baseline, T.RuleAction.OpenWorkOrder, "k");
        vm.stopPrank();
        T.Reading memory r = _reading(FAN, HOURS, value);
        maintenance.reportReading(r, _signReading(SENSOR_KEY, r));
        bool expected = int256(value) - int256(baseline) >= int256(limit);
        assertEq(maintenance.workOrderCount(twin), expected ? 1 : 0, "usage breach");
    }

    function testFuzz_readingTimestamp_acceptedOnlyInWindow(uint64 timestamp) public {
        T.Reading memory r = _reading(PUMP, VIBRATION, 1);
        r.timestamp = timestamp;
        bytes memory sig = _signReading(SENSOR_KEY, r);
        bool fresh = uint256(timestamp) + 1 hours >= block.timestamp && timestamp <= block.timestamp + 5 minutes;
        (bool ok,) = address(manager).call(abi.encodeCall(maintenance.reportReading, (r, sig)));
        assertTrue(ok == fresh, "accepted iff within the window");
        assertEq(maintenance.sensorOf(twin, PUMP, VIBRATION).lastSequence, fresh ? r.sequence : 0, "state");
    }

    function testFuzz_penalty_neverExceedsBond(uint96 penalty, uint96 bond) public {
        vm.assume(penalty > 0 && bond >= penalty);
        vm.prank(provider);
        maintenance.withdrawBond(twin, address(0), BOND);
        cheats.deal(provider, uint256(bond));
        vm.prank(provider);
        maintenance.postBond{value: bond}(twin, address(0), bond);
        vm.prank(owner);
        maintenance.setSlaTerms(twin, _terms(address(0), penalty));
        uint256 orderId = _report(9_000);
        vm.warp(block.timestamp + RESOLUTION + 1);
        uint256 a = maintenance.enforce(orderId, T.Breach.Response);
        uint256 b = maintenance.enforce(orderId, T.Breach.Resolution);
        assertTrue(a + b <= bond, "never more than the bond");
        assertEq(a, penalty, "first penalty in full");
        (uint256 left,) = maintenance.bondOf(twin, provider, address(0));
        assertEq(left + a + b, bond, "conserved");
        assertEq(address(manager).balance, bond, "all still held");
    }

    // ---------------------------------------------------------------- helpers

    function _ruleId(uint256 seq) internal view returns (uint256) {
        return (twin << 64) | seq;
    }

    function _count(Vm.Log[] memory logs, bytes32 topic) internal view returns (uint256 n) {
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].emitter == address(manager) && logs[i].topics[0] == topic) ++n;
        }
    }
}
