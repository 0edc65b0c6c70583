// What the gateway needs of the maintenance contract (IMaintenance): the EIP-712 Reading type and
// domain, the batch report, the rule views, and the events a relayed batch emits.
import { Interface, encodeBytes32String, type TypedDataDomain, type TypedDataField } from 'ethers';

export const MAINTENANCE_EIP712 = { name: 'TwinLedger Maintenance', version: '1' } as const;

/** The deployment manifest's name of the maintenance contract. */
export const MAINTENANCE_CONTRACT = 'MaintenanceManager';

export const READING_TYPES: Record<string, TypedDataField[]> = {
  Reading: [
    { name: 'twinId', type: 'uint256' },
    { name: 'elementKey', type: 'bytes32' },
    { name: 'metric', type: 'bytes32' },
    { name: 'value', type: 'int128' },
    { name: 'timestamp', type: 'uint64' },
    { name: 'sequence', type: 'uint64' },
  ],
};

export interface ChainReading {
  twinId: bigint;
  elementKey: string;
  metric: string;
  value: bigint;
  timestamp: bigint;
  sequence: bigint;
}

export function maintenanceDomain(chainId: number, verifyingContract: string): TypedDataDomain {
  return { ...MAINTENANCE_EIP712, chainId, verifyingContract };
}

export const metricToBytes32 = (metric: string): string => encodeBytes32String(metric);

/** Comparator and action enums of IMaintenance, in declaration order. */
export const COMPARATORS = ['>', '>=', '<', '<='] as const;
export const RULE_KINDS = ['condition', 'usage'] as const;
export const RULE_ACTIONS = ['work order', 'parts request', 'alert'] as const;

const READING_TUPLE =
  'tuple(uint256 twinId, bytes32 elementKey, bytes32 metric, int128 value, uint64 timestamp, uint64 sequence)';

export const maintenanceInterface = new Interface([
  `function reportReadings(${READING_TUPLE}[] readings, bytes[] signatures) returns (bool[] accepted)`,
  `function reportReading(${READING_TUPLE} reading, bytes signature)`,
  'function rulesOf(uint256 twinId, bytes32 elementKey, bytes32 metric) view returns (uint256[] ruleIds)',
  'function ruleOf(uint256 ruleId) view returns (tuple(uint256 twinId, bytes32 elementKey, bytes32 metric, uint8 kind, uint8 comparator, int128 threshold, int128 usageBaseline, uint8 action, bytes32 actionRef, uint256 openOrderId, bool active))',
  'function sensorOf(uint256 twinId, bytes32 elementKey, bytes32 metric) view returns (tuple(address sensor, int128 minValue, int128 maxValue, uint64 lastSequence))',
  'event ReadingRecorded(uint256 indexed twinId, bytes32 indexed elementKey, bytes32 indexed metric, address sensor, int128 value, uint64 timestamp, uint64 sequence)',
  'event ReadingRejected(uint256 indexed index, uint256 indexed twinId, bytes32 indexed elementKey, bytes32 metric, uint64 sequence, bytes reason)',
  'event RuleTriggered(uint256 indexed twinId, bytes32 indexed elementKey, uint256 indexed ruleId, int128 value, int128 usageBaseline, uint8 outcome, uint256 orderId)',
  'event RuleAdded(uint256 indexed twinId, bytes32 indexed elementKey, uint256 indexed ruleId, bytes32 metric, uint8 kind, uint8 comparator, int128 threshold, int128 usageBaseline, uint8 action, bytes32 actionRef, address actor)',
  'event RuleRemoved(uint256 indexed twinId, bytes32 indexed elementKey, uint256 indexed ruleId, address actor)',
  'error MaintenanceSensorNotRegistered(uint256 twinId, bytes32 elementKey, bytes32 metric)',
  'error MaintenanceReadingInvalidSignature(address sensor, address recovered)',
  'error MaintenanceReadingStale(uint64 timestamp, uint256 oldestAccepted)',
  'error MaintenanceReadingFromFuture(uint64 timestamp, uint256 latestAccepted)',
  'error MaintenanceReadingSequenceNotIncreasing(uint64 sequence, uint64 lastSequence)',
  'error MaintenanceReadingOutOfBounds(int128 value, int128 minValue, int128 maxValue)',
  'error MaintenanceBatchLengthMismatch(uint256 readings, uint256 signatures)',
  'error TwinMissingRole(uint256 twinId, uint8 role, address account)',
]);
