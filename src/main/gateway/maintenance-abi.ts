// What the gateway needs of the maintenance contract (IMaintenance): the EIP-712 Reading type and
// domain, metric names as bytes32, the enums' meaning, and the generated ABI.
import { encodeBytes32String, type Interface, type TypedDataDomain, type TypedDataField } from 'ethers';
import { MaintenanceManager__factory } from '../chain/generated/types';

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

/** IMaintenance's COMPLETE_WORK_ORDER_TYPE, field by field (a crew's offline completion). */
export const COMPLETE_WORK_ORDER_TYPES: Record<string, TypedDataField[]> = {
  CompleteWorkOrder: [
    { name: 'signer', type: 'address' },
    { name: 'twinId', type: 'uint256' },
    { name: 'orderId', type: 'uint256' },
    { name: 'reportHash', type: 'bytes32' },
    { name: 'uri', type: 'string' },
    { name: 'nonce', type: 'uint64' },
    { name: 'deadline', type: 'uint64' },
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

/** The maintenance contract's ABI (generated from the compiled contract: both halves, every error). */
export const maintenanceInterface: Interface = MaintenanceManager__factory.createInterface();
