// SPDX-License-Identifier: MIT
// Condition-based maintenance and SLAs beside the registry: sensors per element, rules, signed
// readings, work orders, providers' bonds and SLA enforcement. Events are self-sufficient for an indexer.
pragma solidity ^0.8.28;

import {IIntentRelay} from "../interfaces/IIntentRelay.sol";

// EIP-712 types of the maintenance contract (domain name "TwinLedger Maintenance", version "1").
// The strings are what a signer's type definitions must spell out, field by field.
string constant READING_TYPE =
    "Reading(uint256 twinId,bytes32 elementKey,bytes32 metric,int128 value,uint64 timestamp,uint64 sequence)";
string constant OPEN_WORK_ORDER_TYPE =
    "OpenWorkOrder(address signer,uint256 twinId,bytes32 elementKey,bytes32 kind,uint64 nonce,uint64 deadline)";
string constant COMPLETE_WORK_ORDER_TYPE =
    "CompleteWorkOrder(address signer,uint256 twinId,uint256 orderId,bytes32 reportHash,string uri,uint64 nonce,"
    "uint64 deadline)";
bytes32 constant READING_TYPEHASH = keccak256(bytes(READING_TYPE));
bytes32 constant OPEN_WORK_ORDER_TYPEHASH = keccak256(bytes(OPEN_WORK_ORDER_TYPE));
bytes32 constant COMPLETE_WORK_ORDER_TYPEHASH = keccak256(bytes(COMPLETE_WORK_ORDER_TYPE));

// Defaults and limits.
uint32 constant DEFAULT_READING_MAX_AGE = 1 hours; // a reading older than this is stale
uint32 constant DEFAULT_READING_MAX_SKEW = 5 minutes; // a sensor clock may run this far ahead
uint256 constant MAX_RULES_PER_CHANNEL = 8;

/**
 * @title IMaintenanceTypes
 * @author TwinLedger
 * @notice Condition-based maintenance of a twin's elements, governed by the registry's roles.
 *
 * - A **sensor channel** is (twinId, elementKey, metric): elementKey = keccak256(IFC GlobalId),
 *   metric = a bytes32 name such as `"vibration_mm_s"` (right-padded, as ethers' `encodeBytes32String`).
 *   An ADMIN binds one sensor key and the metric's physical bounds to a channel; the key must also
 *   hold a live SENSOR role on the twin when its readings arrive.
 * - A **reading** is the EIP-712 struct {Reading} signed by the channel's sensor key (domain
 *   `TwinLedger Maintenance` / `1` + chainId + this contract) and relayed by anyone. Values are
 *   fixed-point integers (the app's scale per metric, e.g. x1000). A reading is checked before
 *   anything changes: registered channel, signature by its key, live SENSOR role, timestamp within
 *   the twin's window (not older than `maxAge`, not ahead of the block by more than `maxSkew`),
 *   sequence strictly above the channel's last, value within bounds.
 * - **Rules** per channel (at most {MAX_RULES_PER_CHANNEL}): a condition (comparator, threshold) or
 *   a usage limit (cumulative value - baseline >= life limit; the baseline moves to the breaching
 *   value when an order opens). A breach raises an alert, or opens a work order (of a kind, or
 *   requesting a part): at most one open order per rule at a time.
 * - **Work orders** are opened by a rule or by hand (ADMIN or MAINTAINER). An order is assigned to a
 *   provider whose bond for the twin (in the SLA's asset) covers at least one penalty: automatically
 *   to the twin's SLA provider when it is bonded, otherwise by hand. The SLA clock starts at
 *   assignment: respond (accept) by `assignedAt + responseTime`, resolve (complete) by
 *   `assignedAt + resolutionTime`. A MAINTAINER of the twin completes it with a report hash (also
 *   offline, as an intent); ADMIN or MAINTAINER may cancel it.
 * - **SLA enforcement**: once a deadline has passed, anyone may call {enforce}: the penalty (capped
 *   at what is left of the bond) moves to the twin owner's claimable balance and the escalation
 *   contact is named in {SlaEscalated}; once per (order, breach). Completing or cancelling an order
 *   settles its due breaches in the same transaction, so a closed order owes nothing.
 * - **Funds**: bonds are per (twin, provider, asset), asset `address(0)` = ETH; topped up at any
 *   time, withdrawn only while no open order of that (twin, provider, asset) depends on them.
 *   Penalties are pull payments ({withdraw}).
 * - **Ids**: `ruleId` and `orderId` are `twinId << 64 | n` with n = 1, 2, 3... per twin, so the twin
 *   of an id is `id >> 64`.
 */
interface IMaintenanceTypes {
    // ------------------------------------------------------------------ types

    /// @notice How a condition rule compares a reading's value with its threshold.
    enum Comparator {
        Above,
        AtOrAbove,
        Below,
        AtOrBelow
    }

    /// @notice What a rule watches: one reading against a threshold, or accumulated usage.
    enum RuleKind {
        Condition,
        Usage
    }

    /// @notice What a breach does.
    enum RuleAction {
        OpenWorkOrder,
        RequestParts,
        AlertOnly
    }

    /// @notice How a breach ended ({RuleTriggered}).
    enum TriggerOutcome {
        Alert,
        OrderOpened,
        OrderAlreadyOpen
    }

    /// @notice A work order's state. `None` = no such order.
    enum OrderStatus {
        None,
        Open,
        Assigned,
        Accepted,
        Completed,
        Cancelled
    }

    /// @notice The two SLA deadlines that can be breached.
    enum Breach {
        Response,
        Resolution
    }

    /**
     * @notice A sensor reading, signed by the channel's sensor key (EIP-712 type `Reading`, see
     * {READING_TYPEHASH}).
     * @param twinId The twin.
     * @param elementKey keccak256 of the element's IFC GlobalId.
     * @param metric The metric's name as bytes32 (e.g. "vibration_mm_s").
     * @param value The value, fixed-point scaled.
     * @param timestamp When it was measured (Unix seconds).
     * @param sequence The channel's counter, strictly increasing.
     */
    struct Reading {
        uint256 twinId;
        bytes32 elementKey;
        bytes32 metric;
        int128 value;
        uint64 timestamp;
        uint64 sequence;
    }

    /**
     * @notice A twin's SLA terms (immutable once set; new terms get a new index).
     * @param provider The contracted provider: rule-opened and hand-opened orders are assigned to it
     * when its bond covers `penalty` (zero: assign by hand).
     * @param asset The asset of bonds and penalties (`address(0)` = ETH, otherwise an ERC-20).
     * @param penalty The penalty per breach, in `asset`'s smallest unit.
     * @param responseTime Seconds from assignment to acceptance.
     * @param resolutionTime Seconds from assignment to completion (>= responseTime).
     * @param escalationContact Who is named in {SlaEscalated} when a breach is enforced.
     */
    struct SlaTerms {
        address provider;
        address asset;
        uint96 penalty;
        uint32 responseTime;
        uint32 resolutionTime;
        address escalationContact;
    }

    /**
     * @notice A sensor channel's registration (view).
     * @param sensor The sensor key (zero when never registered or revoked).
     * @param minValue Lowest physically possible value (inclusive).
     * @param maxValue Highest physically possible value (inclusive).
     * @param lastSequence The last accepted sequence (kept across revocation and re-registration).
     */
    struct SensorInfo {
        address sensor;
        int128 minValue;
        int128 maxValue;
        uint64 lastSequence;
    }

    /**
     * @notice A rule (view).
     * @param twinId The twin.
     * @param elementKey The element.
     * @param metric The metric it watches.
     * @param kind Condition or usage.
     * @param comparator The comparison (usage rules: AtOrAbove on value - baseline).
     * @param threshold The threshold (usage rules: the life limit).
     * @param usageBaseline Usage rules: the cumulative value counted from.
     * @param action What a breach does.
     * @param actionRef The work kind (OpenWorkOrder), the part reference (RequestParts) or an alert code.
     * @param openOrderId The order this rule opened that is still open (0: none).
     * @param active False once removed.
     */
    struct RuleInfo {
        uint256 twinId;
        bytes32 elementKey;
        bytes32 metric;
        RuleKind kind;
        Comparator comparator;
        int128 threshold;
        int128 usageBaseline;
        RuleAction action;
        bytes32 actionRef;
        uint256 openOrderId;
        bool active;
    }

    /**
     * @notice A work order (view).
     * @param twinId The twin.
     * @param elementKey The element.
     * @param ruleId The rule that opened it (0: opened by hand).
     * @param status Its state.
     * @param provider The assigned provider (zero while Open).
     * @param termsIndex The SLA terms it was assigned under (0 while Open).
     * @param assignedAt When the SLA clock started (0 while Open).
     * @param respondBy Acceptance deadline (0 while Open).
     * @param resolveBy Completion deadline (0 while Open).
     * @param respondedLate Accepted after `respondBy`.
     * @param responseEnforced The response breach was penalised.
     * @param resolutionEnforced The resolution breach was penalised.
     */
    struct WorkOrderInfo {
        uint256 twinId;
        bytes32 elementKey;
        uint256 ruleId;
        OrderStatus status;
        address provider;
        uint16 termsIndex;
        uint40 assignedAt;
        uint40 respondBy;
        uint40 resolveBy;
        bool respondedLate;
        bool responseEnforced;
        bool resolutionEnforced;
    }

    /**
     * @notice A work order opened offline by a MAINTAINER or ADMIN (EIP-712 type `OpenWorkOrder`).
     * @param signer The actor.
     * @param twinId The twin (and nonce lane).
     * @param elementKey The element.
     * @param kind The work kind (non-zero).
     * @param nonce Next nonce of the signer's lane for this twin ({intentNonce}).
     * @param deadline Unix time after which the intent is void.
     */
    struct OpenWorkOrderIntent {
        address signer;
        uint256 twinId;
        bytes32 elementKey;
        bytes32 kind;
        uint64 nonce;
        uint64 deadline;
    }

    /**
     * @notice A work order completed offline by a MAINTAINER (EIP-712 type `CompleteWorkOrder`).
     * @param signer The maintainer (the actor).
     * @param twinId The twin (and nonce lane); must be the order's twin.
     * @param orderId The order.
     * @param reportHash Hash of the service report (non-zero).
     * @param uri Where the report can be fetched.
     * @param nonce Next nonce of the signer's lane for this twin.
     * @param deadline Unix time after which the intent is void.
     */
    struct CompleteWorkOrderIntent {
        address signer;
        uint256 twinId;
        uint256 orderId;
        bytes32 reportHash;
        string uri;
        uint64 nonce;
        uint64 deadline;
    }

    // ------------------------------------------------------------------ events: sensors and readings

    /**
     * @notice A sensor key was bound to a channel (replacing any previous key and bounds).
     * @param twinId The twin.
     * @param elementKey The element.
     * @param metric The metric.
     * @param sensor The sensor key.
     * @param minValue Lowest accepted value.
     * @param maxValue Highest accepted value.
     * @param actor The admin.
     */
    event SensorRegistered(
        uint256 indexed twinId,
        bytes32 indexed elementKey,
        bytes32 indexed metric,
        address sensor,
        int128 minValue,
        int128 maxValue,
        address actor
    );

    /**
     * @notice A channel's sensor key was revoked; its readings are refused from now on.
     * @param twinId The twin.
     * @param elementKey The element.
     * @param metric The metric.
     * @param sensor The revoked key.
     * @param actor The admin.
     */
    event SensorRevoked(
        uint256 indexed twinId, bytes32 indexed elementKey, bytes32 indexed metric, address sensor, address actor
    );

    /**
     * @notice A twin's reading freshness window changed.
     * @param twinId The twin.
     * @param maxAge Oldest accepted reading, in seconds before the block.
     * @param maxSkew Furthest accepted reading, in seconds after the block.
     * @param actor The admin.
     */
    event ReadingWindowSet(uint256 indexed twinId, uint32 maxAge, uint32 maxSkew, address actor);

    /**
     * @notice A reading was accepted (its channel's sequence moved to `sequence`).
     * @param twinId The twin.
     * @param elementKey The element.
     * @param metric The metric.
     * @param sensor The sensor key that signed it (the actor).
     * @param value The value.
     * @param timestamp When it was measured.
     * @param sequence Its sequence.
     */
    event ReadingRecorded(
        uint256 indexed twinId,
        bytes32 indexed elementKey,
        bytes32 indexed metric,
        address sensor,
        int128 value,
        uint64 timestamp,
        uint64 sequence
    );

    /**
     * @notice A reading of a {reportReadings} batch was refused; nothing of it took effect.
     * @param index Its position in the batch.
     * @param twinId The twin it named.
     * @param elementKey The element it named.
     * @param metric The metric it named.
     * @param sequence The sequence it carried.
     * @param reason The revert data (a custom error of this interface, or `TwinMissingRole`).
     */
    event ReadingRejected(
        uint256 indexed index,
        uint256 indexed twinId,
        bytes32 indexed elementKey,
        bytes32 metric,
        uint64 sequence,
        bytes reason
    );

    /**
     * @notice A batch of readings was relayed.
     * @param relayer Who submitted it.
     * @param count Readings in the batch.
     * @param rejected How many were refused ({ReadingRejected}).
     */
    event ReadingBatchReported(address indexed relayer, uint256 count, uint256 rejected);

    // ------------------------------------------------------------------ events: rules

    /**
     * @notice A rule was added to a channel.
     * @param twinId The twin.
     * @param elementKey The element.
     * @param ruleId The new rule's id.
     * @param metric The metric it watches.
     * @param kind Condition or usage.
     * @param comparator The comparison (AtOrAbove for usage rules).
     * @param threshold The threshold, or the life limit of a usage rule.
     * @param usageBaseline The usage baseline (0 for condition rules).
     * @param action What a breach does.
     * @param actionRef The work kind, part reference or alert code.
     * @param actor The admin.
     */
    event RuleAdded(
        uint256 indexed twinId,
        bytes32 indexed elementKey,
        uint256 indexed ruleId,
        bytes32 metric,
        RuleKind kind,
        Comparator comparator,
        int128 threshold,
        int128 usageBaseline,
        RuleAction action,
        bytes32 actionRef,
        address actor
    );

    /**
     * @notice A rule was removed (an order it opened stays open).
     * @param twinId The twin.
     * @param elementKey The element.
     * @param ruleId The rule.
     * @param actor The admin.
     */
    event RuleRemoved(uint256 indexed twinId, bytes32 indexed elementKey, uint256 indexed ruleId, address actor);

    /**
     * @notice A reading breached a rule. Follows its {ReadingRecorded}; a new order's
     * {WorkOrderOpened} follows this event.
     * @param twinId The twin.
     * @param elementKey The element.
     * @param ruleId The rule.
     * @param value The breaching value.
     * @param usageBaseline Usage rules: the baseline it was measured from (before it moved); 0 otherwise.
     * @param outcome Alert only, order opened, or an order of this rule already open.
     * @param orderId The order opened or already open (0 for an alert).
     */
    event RuleTriggered(
        uint256 indexed twinId,
        bytes32 indexed elementKey,
        uint256 indexed ruleId,
        int128 value,
        int128 usageBaseline,
        TriggerOutcome outcome,
        uint256 orderId
    );

    // ------------------------------------------------------------------ events: SLA and bonds

    /**
     * @notice New SLA terms for a twin; orders assigned from now on use them.
     * @param twinId The twin.
     * @param termsIndex Their index (1, 2, 3... per twin).
     * @param provider The contracted provider (zero: none).
     * @param asset The bond and penalty asset (zero = ETH).
     * @param penalty Penalty per breach.
     * @param responseTime Seconds to accept.
     * @param resolutionTime Seconds to complete.
     * @param escalationContact Named when a breach is enforced.
     * @param actor The admin.
     */
    event SlaTermsSet(
        uint256 indexed twinId,
        uint16 indexed termsIndex,
        address indexed provider,
        address asset,
        uint96 penalty,
        uint32 responseTime,
        uint32 resolutionTime,
        address escalationContact,
        address actor
    );

    /**
     * @notice A provider topped up its bond for a twin.
     * @param twinId The twin.
     * @param provider The provider (the actor).
     * @param asset The asset (zero = ETH).
     * @param amount Amount received.
     * @param balance The bond after it.
     */
    event BondPosted(
        uint256 indexed twinId, address indexed provider, address indexed asset, uint256 amount, uint256 balance
    );

    /**
     * @notice A provider withdrew from its bond for a twin.
     * @param twinId The twin.
     * @param provider The provider (the actor).
     * @param asset The asset.
     * @param amount Amount sent to the provider.
     * @param balance The bond after it.
     */
    event BondWithdrawn(
        uint256 indexed twinId, address indexed provider, address indexed asset, uint256 amount, uint256 balance
    );

    /**
     * @notice An account withdrew its claimable balance (penalties received).
     * @param account The account (the actor, and the recipient).
     * @param asset The asset.
     * @param amount Amount sent.
     */
    event PaymentWithdrawn(address indexed account, address indexed asset, uint256 amount);

    // ------------------------------------------------------------------ events: work orders

    /**
     * @notice A work order was opened.
     * @param orderId The new order.
     * @param twinId The twin.
     * @param elementKey The element.
     * @param ruleId The rule that opened it (0: by hand).
     * @param action OpenWorkOrder, or RequestParts (then `kind` is the part reference).
     * @param kind The work kind or part reference.
     * @param actor The sensor key whose reading opened it, or the admin/maintainer who opened it.
     * @param openedAt Block timestamp.
     */
    event WorkOrderOpened(
        uint256 indexed orderId,
        uint256 indexed twinId,
        bytes32 indexed elementKey,
        uint256 ruleId,
        RuleAction action,
        bytes32 kind,
        address actor,
        uint64 openedAt
    );

    /**
     * @notice A work order was assigned to a provider; its SLA clock started.
     * @param orderId The order.
     * @param twinId The twin.
     * @param elementKey The element.
     * @param provider The provider.
     * @param termsIndex The SLA terms used.
     * @param asset Penalty asset.
     * @param penalty Penalty per breach.
     * @param respondBy Acceptance deadline.
     * @param resolveBy Completion deadline.
     * @param escalationContact Named when a breach is enforced.
     * @param actor Who assigned it (for automatic assignment: the actor of {WorkOrderOpened}).
     */
    event WorkOrderAssigned(
        uint256 indexed orderId,
        uint256 indexed twinId,
        bytes32 indexed elementKey,
        address provider,
        uint16 termsIndex,
        address asset,
        uint96 penalty,
        uint40 respondBy,
        uint40 resolveBy,
        address escalationContact,
        address actor
    );

    /**
     * @notice The provider accepted the order.
     * @param orderId The order.
     * @param twinId The twin.
     * @param elementKey The element.
     * @param provider The provider (the actor).
     * @param late Accepted after the response deadline (the response breach stays enforceable).
     */
    event WorkOrderAccepted(
        uint256 indexed orderId, uint256 indexed twinId, bytes32 indexed elementKey, address provider, bool late
    );

    /**
     * @notice The order was completed (due breaches were settled just before, in the same transaction).
     * @param orderId The order.
     * @param twinId The twin.
     * @param elementKey The element.
     * @param actor The maintainer (the signer, when relayed).
     * @param reportHash Hash of the service report.
     * @param uri Where the report can be fetched.
     * @param completedAt Block timestamp.
     */
    event WorkOrderCompleted(
        uint256 indexed orderId,
        uint256 indexed twinId,
        bytes32 indexed elementKey,
        address actor,
        bytes32 reportHash,
        string uri,
        uint64 completedAt
    );

    /**
     * @notice The order was cancelled (due breaches were settled just before).
     * @param orderId The order.
     * @param twinId The twin.
     * @param elementKey The element.
     * @param actor The admin or maintainer.
     * @param reason A short reason code.
     */
    event WorkOrderCancelled(
        uint256 indexed orderId, uint256 indexed twinId, bytes32 indexed elementKey, address actor, bytes32 reason
    );

    /**
     * @notice An SLA breach was penalised: `amount` moved from the provider's bond to the twin
     * owner's claimable balance (capped at what was left; may be 0 when the bond is empty).
     * @param orderId The order.
     * @param twinId The twin.
     * @param elementKey The element.
     * @param breach Which deadline.
     * @param provider The provider penalised.
     * @param beneficiary The twin's owner, credited.
     * @param asset The asset.
     * @param amount Amount moved.
     * @param actor Who enforced it (anyone; the completer/canceller when settled on closing).
     */
    event SlaBreachEnforced(
        uint256 indexed orderId,
        uint256 indexed twinId,
        bytes32 indexed elementKey,
        Breach breach,
        address provider,
        address beneficiary,
        address asset,
        uint256 amount,
        address actor
    );

    /**
     * @notice A breach was escalated to the SLA's contact (follows {SlaBreachEnforced}).
     * @param orderId The order.
     * @param twinId The twin.
     * @param elementKey The element.
     * @param breach Which deadline.
     * @param escalationContact The contact.
     * @param provider The provider in breach.
     */
    event SlaEscalated(
        uint256 indexed orderId,
        uint256 indexed twinId,
        bytes32 indexed elementKey,
        Breach breach,
        address escalationContact,
        address provider
    );

    // ------------------------------------------------------------------ errors

    /**
     * @notice No live sensor key on this channel (never registered, or revoked).
     * @param twinId The twin.
     * @param elementKey The element.
     * @param metric The metric.
     */
    error MaintenanceSensorNotRegistered(uint256 twinId, bytes32 elementKey, bytes32 metric);

    /// @notice A sensor key cannot be the zero address.
    error MaintenanceSensorZero();

    /**
     * @notice Physical bounds must satisfy min <= max.
     * @param minValue The minimum given.
     * @param maxValue The maximum given.
     */
    error MaintenanceBoundsInvalid(int128 minValue, int128 maxValue);

    /**
     * @notice The reading is not signed by the channel's sensor key.
     * @param sensor The channel's registered key.
     * @param recovered The key that signed (zero for a malformed signature).
     */
    error MaintenanceReadingInvalidSignature(address sensor, address recovered);

    /**
     * @notice The reading is older than the twin's window allows.
     * @param timestamp The reading's timestamp.
     * @param oldestAccepted The oldest timestamp accepted now.
     */
    error MaintenanceReadingStale(uint64 timestamp, uint256 oldestAccepted);

    /**
     * @notice The reading is further in the future than the twin's window allows.
     * @param timestamp The reading's timestamp.
     * @param latestAccepted The latest timestamp accepted now.
     */
    error MaintenanceReadingFromFuture(uint64 timestamp, uint256 latestAccepted);

    /**
     * @notice The reading's sequence is not above the channel's last (a replay, or out of order).
     * @param sequence The reading's sequence.
     * @param lastSequence The channel's last accepted sequence.
     */
    error MaintenanceReadingSequenceNotIncreasing(uint64 sequence, uint64 lastSequence);

    /**
     * @notice The value is outside the metric's physical bounds (a faulty sensor).
     * @param value The value.
     * @param minValue Lowest accepted.
     * @param maxValue Highest accepted.
     */
    error MaintenanceReadingOutOfBounds(int128 value, int128 minValue, int128 maxValue);

    /**
     * @notice {reportReadings} needs one signature per reading.
     * @param readings Number of readings.
     * @param signatures Number of signatures.
     */
    error MaintenanceBatchLengthMismatch(uint256 readings, uint256 signatures);

    /**
     * @notice A reading window needs maxAge > 0.
     * @param maxAge The value given.
     */
    error MaintenanceReadingWindowInvalid(uint32 maxAge);

    /**
     * @notice The channel already has {MAX_RULES_PER_CHANNEL} rules.
     * @param twinId The twin.
     * @param elementKey The element.
     * @param metric The metric.
     */
    error MaintenanceTooManyRules(uint256 twinId, bytes32 elementKey, bytes32 metric);

    /**
     * @notice No such rule, or it was removed.
     * @param ruleId The rule.
     */
    error MaintenanceRuleUnknown(uint256 ruleId);

    /// @notice An order-opening rule needs a non-zero work kind or part reference.
    error MaintenanceRuleActionRefZero();

    /**
     * @notice A usage rule's life limit must be positive.
     * @param lifeLimit The value given.
     */
    error MaintenanceUsageLimitInvalid(int128 lifeLimit);

    /**
     * @notice SLA terms are inconsistent (zero penalty, zero response time, resolution before response).
     * @param responseTime The response time given.
     * @param resolutionTime The resolution time given.
     */
    error MaintenanceSlaTermsInvalid(uint32 responseTime, uint32 resolutionTime);

    /**
     * @notice The twin has no SLA terms yet ({setSlaTerms}).
     * @param twinId The twin.
     */
    error MaintenanceSlaTermsMissing(uint256 twinId);

    /// @notice A work order needs a non-zero kind, a completion a non-zero report hash.
    error MaintenanceValueZero();

    /**
     * @notice No such work order.
     * @param orderId The order.
     */
    error MaintenanceOrderUnknown(uint256 orderId);

    /**
     * @notice The order is not in a state that allows this action.
     * @param orderId The order.
     * @param status Its state.
     */
    error MaintenanceOrderWrongStatus(uint256 orderId, OrderStatus status);

    /**
     * @notice Only the order's assigned provider may do this.
     * @param orderId The order.
     * @param account The caller.
     */
    error MaintenanceNotOrderProvider(uint256 orderId, address account);

    /**
     * @notice The intent's twin is not the order's twin.
     * @param orderId The order.
     * @param twinId The twin the intent named.
     */
    error MaintenanceOrderTwinMismatch(uint256 orderId, uint256 twinId);

    /**
     * @notice The provider's bond does not cover one penalty.
     * @param twinId The twin.
     * @param provider The provider.
     * @param asset The asset.
     * @param bond The bond.
     * @param required The penalty it must cover.
     */
    error MaintenanceBondInsufficient(uint256 twinId, address provider, address asset, uint256 bond, uint256 required);

    /**
     * @notice The bond cannot be withdrawn while open orders depend on it.
     * @param twinId The twin.
     * @param provider The provider.
     * @param asset The asset.
     * @param openOrders Orders still open.
     */
    error MaintenanceBondLocked(uint256 twinId, address provider, address asset, uint256 openOrders);

    /**
     * @notice Not enough bond or claimable balance for this withdrawal.
     * @param available What there is.
     * @param requested What was asked.
     */
    error MaintenanceInsufficientBalance(uint256 available, uint256 requested);

    /**
     * @notice ETH sent does not match the amount (ETH bonds), or ETH sent with an ERC-20 bond.
     * @param sent msg.value.
     * @param expected What was expected.
     */
    error MaintenancePaymentMismatch(uint256 sent, uint256 expected);

    /**
     * @notice An ETH transfer to `to` failed.
     * @param to The recipient.
     */
    error MaintenanceTransferFailed(address to);

    /**
     * @notice The breach's deadline has not passed (or, for a response, the order was accepted in time).
     * @param orderId The order.
     * @param breach The breach.
     * @param deadline The deadline.
     */
    error MaintenanceBreachNotDue(uint256 orderId, Breach breach, uint40 deadline);

    /**
     * @notice This breach of this order was already penalised.
     * @param orderId The order.
     * @param breach The breach.
     */
    error MaintenanceBreachAlreadyEnforced(uint256 orderId, Breach breach);

}

/**
 * @title IMaintenance
 * @author TwinLedger
 * @notice The maintenance contract's functions; its types, events and errors are in
 * {IMaintenanceTypes} (see there for the model). One address serves all of them.
 */
interface IMaintenance is IMaintenanceTypes, IIntentRelay {
    // ------------------------------------------------------------------ sensors and readings

    /**
     * @notice Binds `sensor` and physical bounds to a channel (replacing any previous key; the
     * channel's sequence is kept, so old readings cannot be replayed). ADMIN only.
     * @param twinId The twin.
     * @param elementKey keccak256 of the element's IFC GlobalId.
     * @param metric The metric name as bytes32.
     * @param sensor The sensor key (must also hold SENSOR on the twin when reporting).
     * @param minValue Lowest physically possible value.
     * @param maxValue Highest physically possible value.
     */
    function registerSensor(
        uint256 twinId,
        bytes32 elementKey,
        bytes32 metric,
        address sensor,
        int128 minValue,
        int128 maxValue
    ) external;

    /**
     * @notice Revokes a channel's sensor key. ADMIN only.
     * @param twinId The twin.
     * @param elementKey The element.
     * @param metric The metric.
     */
    function revokeSensor(uint256 twinId, bytes32 elementKey, bytes32 metric) external;

    /**
     * @notice Sets a twin's reading freshness window (defaults: {DEFAULT_READING_MAX_AGE},
     * {DEFAULT_READING_MAX_SKEW}). ADMIN only.
     * @param twinId The twin.
     * @param maxAge Oldest accepted reading, seconds before the block (> 0).
     * @param maxSkew Furthest accepted reading, seconds after the block.
     */
    function setReadingWindow(uint256 twinId, uint32 maxAge, uint32 maxSkew) external;

    /**
     * @notice Accepts a signed reading (relayed by anyone) and applies the channel's rules. Reverts
     * with the reason when the reading is refused; nothing changes then.
     * @param reading The reading.
     * @param signature The sensor key's EIP-712 signature (65 bytes).
     */
    function reportReading(Reading calldata reading, bytes calldata signature) external;

    /**
     * @notice A gateway's batch: each reading as {reportReading}; a refused one is rolled back alone
     * and reported by {ReadingRejected}.
     * @param readings The readings.
     * @param signatures One signature per reading.
     * @return accepted For each reading, whether it was accepted.
     */
    function reportReadings(Reading[] calldata readings, bytes[] calldata signatures)
        external
        returns (bool[] memory accepted);

    // ------------------------------------------------------------------ rules

    /**
     * @notice Adds a condition rule to a channel. ADMIN only.
     * @param twinId The twin.
     * @param elementKey The element.
     * @param metric The metric.
     * @param comparator How a value is compared with `threshold`.
     * @param threshold The threshold.
     * @param action What a breach does.
     * @param actionRef Work kind / part reference (non-zero unless AlertOnly).
     * @return ruleId The new rule.
     */
    function addConditionRule(
        uint256 twinId,
        bytes32 elementKey,
        bytes32 metric,
        Comparator comparator,
        int128 threshold,
        RuleAction action,
        bytes32 actionRef
    ) external returns (uint256 ruleId);

    /**
     * @notice Adds a usage rule (running hours, cycles) to a channel whose readings are cumulative:
     * it breaches when value - baseline >= lifeLimit. ADMIN only.
     * @param twinId The twin.
     * @param elementKey The element.
     * @param metric The cumulative metric (e.g. "running_hours").
     * @param lifeLimit Usage between services (> 0).
     * @param baseline The cumulative value counted from (e.g. at the last service).
     * @param action What a breach does.
     * @param actionRef Work kind / part reference (non-zero unless AlertOnly).
     * @return ruleId The new rule.
     */
    function addUsageRule(
        uint256 twinId,
        bytes32 elementKey,
        bytes32 metric,
        int128 lifeLimit,
        int128 baseline,
        RuleAction action,
        bytes32 actionRef
    ) external returns (uint256 ruleId);

    /**
     * @notice Removes a rule from its channel. ADMIN only.
     * @param ruleId The rule.
     */
    function removeRule(uint256 ruleId) external;

    // ------------------------------------------------------------------ SLA, bonds, payments

    /**
     * @notice Sets new SLA terms for a twin (orders already assigned keep theirs). ADMIN only.
     * @param twinId The twin.
     * @param terms The terms (penalty > 0, responseTime > 0, resolutionTime >= responseTime).
     * @return termsIndex Their index.
     */
    function setSlaTerms(uint256 twinId, SlaTerms calldata terms) external returns (uint16 termsIndex);

    /**
     * @notice Tops up the caller's bond for a twin. ETH: `asset` zero and `msg.value == amount`;
     * ERC-20: approve first, no ETH (the amount received is what counts).
     * @param twinId The twin.
     * @param asset The asset.
     * @param amount The amount.
     */
    function postBond(uint256 twinId, address asset, uint256 amount) external payable;

    /**
     * @notice Withdraws from the caller's bond; only while no open order of (twin, caller, asset)
     * depends on it.
     * @param twinId The twin.
     * @param asset The asset.
     * @param amount The amount.
     */
    function withdrawBond(uint256 twinId, address asset, uint256 amount) external;

    /**
     * @notice Sends the caller its whole claimable balance in `asset` (penalties received).
     * @param asset The asset.
     * @return amount Amount sent.
     */
    function withdraw(address asset) external returns (uint256 amount);

    // ------------------------------------------------------------------ work orders

    /**
     * @notice Opens a work order by hand. ADMIN or MAINTAINER. Assigned at once to the SLA's
     * provider when it is bonded.
     * @param twinId The twin.
     * @param elementKey The element.
     * @param kind The work kind (non-zero).
     * @return orderId The new order.
     */
    function openWorkOrder(uint256 twinId, bytes32 elementKey, bytes32 kind) external returns (uint256 orderId);

    /**
     * @notice Relays {openWorkOrder} signed offline; the signer must be ADMIN or MAINTAINER now.
     * @param intent The intent.
     * @param signature The signer's EIP-712 signature.
     * @return orderId The new order.
     */
    function openWorkOrderBySig(OpenWorkOrderIntent calldata intent, bytes calldata signature)
        external
        returns (uint256 orderId);

    /**
     * @notice Assigns an Open order to a provider under the twin's current SLA terms. ADMIN or
     * MAINTAINER. The provider's bond must cover one penalty.
     * @param orderId The order.
     * @param provider The provider.
     */
    function assignWorkOrder(uint256 orderId, address provider) external;

    /**
     * @notice The assigned provider accepts the order.
     * @param orderId The order.
     */
    function acceptWorkOrder(uint256 orderId) external;

    /**
     * @notice Completes an order with a report. MAINTAINER of the twin. Settles due breaches first.
     * @param orderId The order.
     * @param reportHash Hash of the service report (non-zero).
     * @param uri Where the report can be fetched.
     */
    function completeWorkOrder(uint256 orderId, bytes32 reportHash, string calldata uri) external;

    /**
     * @notice Relays {completeWorkOrder} signed offline; the signer must be a MAINTAINER now.
     * @param intent The intent.
     * @param signature The signer's EIP-712 signature.
     */
    function completeWorkOrderBySig(CompleteWorkOrderIntent calldata intent, bytes calldata signature) external;

    /**
     * @notice Cancels an open order. ADMIN or MAINTAINER. Settles due breaches first.
     * @param orderId The order.
     * @param reason A short reason code.
     */
    function cancelWorkOrder(uint256 orderId, bytes32 reason) external;

    /**
     * @notice Penalises a breached SLA deadline of an open order (anyone may call it once the
     * deadline has passed): the penalty, capped at the bond, goes to the twin owner's claimable
     * balance, and {SlaEscalated} names the escalation contact. Once per (order, breach).
     * @param orderId The order.
     * @param breach Which deadline.
     * @return amount The penalty moved.
     */
    function enforce(uint256 orderId, Breach breach) external returns (uint256 amount);

    // ------------------------------------------------------------------ views

    /**
     * @notice The EIP-712 domain separator readings and intents are signed over.
     * @return The separator.
     */
    function domainSeparator() external view returns (bytes32);

    /**
     * @notice A channel's registration.
     * @param twinId The twin.
     * @param elementKey The element.
     * @param metric The metric.
     * @return The sensor key (zero when none), bounds and last sequence.
     */
    function sensorOf(uint256 twinId, bytes32 elementKey, bytes32 metric) external view returns (SensorInfo memory);

    /**
     * @notice A twin's reading freshness window (defaults when never set).
     * @param twinId The twin.
     * @return maxAge Oldest accepted, seconds before the block.
     * @return maxSkew Furthest accepted, seconds after the block.
     */
    function readingWindow(uint256 twinId) external view returns (uint32 maxAge, uint32 maxSkew);

    /**
     * @notice The EIP-712 digest a sensor signs for `reading`.
     * @param reading The reading.
     * @return The digest.
     */
    function readingDigest(Reading calldata reading) external view returns (bytes32);

    /**
     * @notice A rule.
     * @param ruleId The rule.
     * @return The rule (reverts with {MaintenanceRuleUnknown} when it never existed).
     */
    function ruleOf(uint256 ruleId) external view returns (RuleInfo memory);

    /**
     * @notice The active rules of a channel.
     * @param twinId The twin.
     * @param elementKey The element.
     * @param metric The metric.
     * @return ruleIds Their ids.
     */
    function rulesOf(uint256 twinId, bytes32 elementKey, bytes32 metric)
        external
        view
        returns (uint256[] memory ruleIds);

    /**
     * @notice A twin's SLA terms.
     * @param twinId The twin.
     * @param termsIndex The index (1, 2, 3...).
     * @return The terms (all zero when none).
     */
    function slaTerms(uint256 twinId, uint16 termsIndex) external view returns (SlaTerms memory);

    /**
     * @notice The index of a twin's current SLA terms.
     * @param twinId The twin.
     * @return 0 when none were set.
     */
    function currentSlaTermsIndex(uint256 twinId) external view returns (uint16);

    /**
     * @notice A provider's bond for a twin.
     * @param twinId The twin.
     * @param provider The provider.
     * @param asset The asset.
     * @return amount The bond.
     * @return openOrders Open orders depending on it.
     */
    function bondOf(uint256 twinId, address provider, address asset)
        external
        view
        returns (uint256 amount, uint256 openOrders);

    /**
     * @notice What `account` may withdraw in `asset`.
     * @param account The account.
     * @param asset The asset.
     * @return The balance.
     */
    function claimableOf(address account, address asset) external view returns (uint256);

    /**
     * @notice A work order.
     * @param orderId The order.
     * @return The order (reverts with {MaintenanceOrderUnknown} when it does not exist).
     */
    function workOrder(uint256 orderId) external view returns (WorkOrderInfo memory);

    /**
     * @notice How many work orders a twin has had (its last order is `twinId << 64 | count`).
     * @param twinId The twin.
     * @return The count.
     */
    function workOrderCount(uint256 twinId) external view returns (uint64);
}
