// The maintenance contract as main uses it: its address in the deployment manifest, its EIP-712
// domain and the CompleteWorkOrder intent type (signed offline by a crew), the contract's enums in
// the app's words, bytes32 texts, fixed-point values, and its custom errors said in words.
import {
  decodeBytes32String,
  encodeBytes32String,
  formatUnits,
  ZeroAddress,
  type TypedDataDomain,
} from 'ethers';
import { MaintenanceManager__factory } from '../chain/generated/types';
import type { BreachKind, Comparator, RuleAction } from '../../shared/api/maintenance';
import { fromChainValue } from '../../shared/api/sensors';
import { AppError } from '../../shared/result';
import { MAINTENANCE_CONTRACT, MAINTENANCE_EIP712 } from '../gateway/maintenance-abi';
import { decodeIntentFailure } from '../sync/intents';
import { formatChainDate } from '../sync/permissions';

// The contract's name in manifests, its EIP-712 domain name and version and the completion type
// are defined once, with the gateway's Reading type, in gateway/maintenance-abi.ts.
export { COMPLETE_WORK_ORDER_TYPES, MAINTENANCE_CONTRACT } from '../gateway/maintenance-abi';
export const MAINTENANCE_DOMAIN = MAINTENANCE_EIP712;

export const maintenanceInterface = MaintenanceManager__factory.createInterface();

export function maintenanceDomain(chainId: number, verifyingContract: string): TypedDataDomain {
  return { ...MAINTENANCE_DOMAIN, chainId, verifyingContract };
}

/** The maintenance contract's address in a manifest, or null when the deployment has none. */
export function maintenanceAddressOf(
  manifest: { contracts: Record<string, { address: string }> } | null | undefined,
): string | null {
  return manifest?.contracts[MAINTENANCE_CONTRACT]?.address ?? null;
}

// ---- enums in words ----------------------------------------------------------------------------

export const COMPARATORS: readonly Comparator[] = ['>', '>=', '<', '<='];
export const RULE_ACTIONS: readonly RuleAction[] = ['workOrder', 'parts', 'alert'];
export const BREACHES: readonly BreachKind[] = ['response', 'resolution'];
export const ACTION_WORDS: Record<RuleAction, string> = {
  workOrder: 'opens a work order',
  parts: 'requests parts',
  alert: 'raises an alert',
};

/** A bytes32 label (kind, metric, part reference) as text; hex when it is not a short string. */
export function textOf(bytes32: string): string {
  if (/^0x0{64}$/i.test(bytes32)) return '';
  try {
    return decodeBytes32String(bytes32);
  } catch {
    return bytes32;
  }
}

/** Text as the bytes32 the contract stores; BAD_REQUEST naming `what` when it is too long. */
export function bytes32Of(text: string, what: string): string {
  try {
    return encodeBytes32String(text);
  } catch {
    throw new AppError('BAD_REQUEST', `The ${what} "${text}" is too long (at most 31 bytes).`);
  }
}

/** A fixed-point chain value (decimal string) in the metric's unit. */
export const unitValue = (value: string | null | undefined): number => fromChainValue(BigInt(value ?? '0'));

export const isEth = (asset: string | null | undefined): boolean =>
  !asset || asset.toLowerCase() === ZeroAddress.toLowerCase();

/** Symbol and decimals of the ERC-20s bonds and penalties were seen in (read from each token once). */
const tokens = new Map<string, { symbol: string; decimals: number }>();

/** Remembers an ERC-20's symbol and decimals, as read from the token (readTokenInfo). */
export function rememberToken(address: string, info: { symbol: string; decimals: number }): void {
  tokens.set(address.toLowerCase(), info);
}

/** Whether the token's symbol and decimals are known (else assetInfo says "tokens", 18 decimals). */
export const tokenKnown = (address: string): boolean => tokens.has(address.toLowerCase());

export function assetInfo(asset: string | null | undefined): {
  address: string;
  symbol: string;
  decimals: number;
} {
  if (isEth(asset)) return { address: ZeroAddress, symbol: 'ETH', decimals: 18 };
  const known = tokens.get(asset!.toLowerCase());
  return { address: asset!, symbol: known?.symbol ?? 'tokens', decimals: known?.decimals ?? 18 };
}

export const formatAmount = (amount: bigint | string, asset?: string | null): string => {
  const info = assetInfo(asset);
  return `${formatUnits(BigInt(amount), info.decimals).replace(/\.0$/, '')} ${info.symbol}`;
};

/** "2 h 30 min", "3 d 4 h": a duration people read. */
export function formatDuration(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return h ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}

// ---- errors in words -----------------------------------------------------------------------------

export interface MaintenanceFailure {
  code: string;
  reason: string;
  /** Worth signing again (nonce moved, signature expired) rather than failing for good. */
  resign: boolean;
  appCode: 'FORBIDDEN' | 'CONFLICT' | 'BAD_REQUEST';
}

/** A maintenance revert (or an intent failure) in words; null when `data` is not one of its errors. */
export function decodeMaintenanceError(data: string | null | undefined): MaintenanceFailure | null {
  if (!data || data === '0x') return null;
  let parsed: ReturnType<typeof maintenanceInterface.parseError> = null;
  try {
    parsed = maintenanceInterface.parseError(data);
  } catch {
    parsed = null;
  }
  if (!parsed) {
    const generic = decodeIntentFailure(data);
    return {
      code: generic.code,
      reason: generic.reason,
      resign: generic.kind === 'nonce' || generic.kind === 'expired',
      appCode: generic.code === 'TwinMissingRole' ? 'FORBIDDEN' : 'CONFLICT',
    };
  }
  const a = parsed.args;
  const words = (reason: string, appCode: MaintenanceFailure['appCode'] = 'CONFLICT', resign = false) => ({
    code: parsed!.name,
    reason,
    resign,
    appCode,
  });
  const order = (id: unknown) => `work order ${orderNumber(String(id))}`;
  const breach = (b: unknown) => BREACHES[Number(b)] ?? `breach ${String(b)}`;
  switch (parsed.name) {
    case 'TwinMissingRole':
    case 'IntentNonceMismatch':
    case 'IntentExpired':
    case 'IntentInvalidSignature': {
      const generic = decodeIntentFailure(data);
      return {
        code: parsed.name,
        reason: generic.reason,
        resign: generic.kind === 'nonce' || generic.kind === 'expired',
        appCode: parsed.name === 'TwinMissingRole' ? 'FORBIDDEN' : 'CONFLICT',
      };
    }
    case 'MaintenanceOrderUnknown':
      return words(`${order(a[0])} does not exist on this chain`);
    case 'MaintenanceOrderWrongStatus':
      return words(
        `${order(a[0])} is ${['unknown', 'open', 'assigned', 'accepted', 'completed', 'cancelled'][Number(a[1])] ?? 'closed'}: that cannot be done to it now`,
      );
    case 'MaintenanceNotOrderProvider':
      return words(`only the provider ${order(a[0])} is assigned to may accept it`, 'FORBIDDEN');
    case 'MaintenanceOrderTwinMismatch':
      return words(`${order(a[0])} belongs to another twin`, 'BAD_REQUEST');
    case 'MaintenanceBreachNotDue':
      return words(
        `the ${breach(a[1])} deadline of ${order(a[0])} (${formatChainDate(Number(a[2]))}) has not passed, or was met`,
      );
    case 'MaintenanceBreachAlreadyEnforced':
      return words(`the ${breach(a[1])} breach of ${order(a[0])} was already penalised`);
    case 'MaintenanceBondInsufficient':
      return words(
        `the provider's bond (${formatAmount(a[3] as bigint, String(a[2]))}) does not cover one penalty (${formatAmount(a[4] as bigint, String(a[2]))})`,
      );
    case 'MaintenanceBondLocked':
      return words(`the bond cannot be withdrawn while ${String(a[3])} open work orders depend on it`);
    case 'MaintenanceInsufficientBalance':
      return words(
        `there is only ${formatUnits(a[0] as bigint, 18)} available, ${formatUnits(a[1] as bigint, 18)} was asked`,
        'BAD_REQUEST',
      );
    case 'MaintenancePaymentMismatch':
      return words('the amount sent does not match the bond', 'BAD_REQUEST');
    case 'MaintenanceSlaTermsMissing':
      return words('this twin has no SLA terms yet: an admin sets them first');
    case 'MaintenanceSlaTermsInvalid':
      return words(
        'the SLA terms are inconsistent (a penalty and a response time are needed; resolution after response)',
        'BAD_REQUEST',
      );
    case 'MaintenanceTooManyRules':
      return words('this sensor channel already has the most rules it may have (8)', 'BAD_REQUEST');
    case 'MaintenanceRuleUnknown':
      return words(`rule ${orderNumber(String(a[0]))} does not exist or was removed`);
    case 'MaintenanceRuleActionRefZero':
      return words('a rule that opens work needs a work kind or part reference', 'BAD_REQUEST');
    case 'MaintenanceUsageLimitInvalid':
      return words('a usage rule needs a life limit above 0', 'BAD_REQUEST');
    case 'MaintenanceValueZero':
      return words('a work kind or report is missing', 'BAD_REQUEST');
    case 'MaintenanceSensorZero':
      return words('a sensor key cannot be the zero address', 'BAD_REQUEST');
    case 'MaintenanceBoundsInvalid':
      return words('the lower physical bound is above the upper one', 'BAD_REQUEST');
    case 'MaintenanceTransferFailed':
      return words('the payment could not be sent to the account');
    default:
      return words(`the maintenance contract refused it (${parsed.name})`);
  }
}

/** The per-twin number of an order or rule id (`twinId << 64 | n`). */
export function orderNumber(id: string): number {
  try {
    return Number(BigInt(id) & 0xffffffffffffffffn);
  } catch {
    return 0;
  }
}
