// The maintenance contract's refusals, as the real contract reverts them on EDR, said in words and
// classified: a crew's completion signed with a nonce the chain has passed is signed again (not
// failed), a missing role is FORBIDDEN, an early enforcement names its deadline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keccak256, toUtf8Bytes } from 'ethers';
import {
  COMPLETE_WORK_ORDER_TYPES,
  decodeMaintenanceError,
  maintenanceDomain,
} from '../../src/main/maintenance/contract';
import { demoWallet } from '../../src/main/vault/demo-identities';
import { MaintenanceLab, maintenanceInterface } from './fixture';

let lab: MaintenanceLab;
let orderId: bigint;

beforeAll(async () => {
  lab = await MaintenanceLab.start();
  await lab.configure();
  await lab.report(7_400);
  orderId = (lab.twinId << 64n) | 1n;
}, 60_000);

afterAll(() => lab?.close());

/** The revert data of a call (eth_call), as the node reports it. */
async function revertOf(from: string, data: string): Promise<string> {
  try {
    await lab.chain.request({ method: 'eth_call', params: [{ from, to: lab.maintenance, data }, 'latest'] });
  } catch (error) {
    const e = error as { data?: unknown };
    const raw = typeof e.data === 'string' ? e.data : (e.data as { data?: string } | undefined)?.data;
    if (raw) return raw;
    throw error;
  }
  throw new Error('the call did not revert');
}

async function signedCompletion(who: 'crew' | 'planner', nonce: bigint): Promise<string> {
  const wallet = demoWallet(who);
  const intent = {
    signer: wallet.address,
    twinId: lab.twinId,
    orderId,
    reportHash: keccak256(toUtf8Bytes('report')),
    uri: 'twinledger:report/test',
    nonce,
    deadline: BigInt((await lab.time()) + 3600),
  };
  const signature = await wallet.signTypedData(
    maintenanceDomain(lab.chainId, lab.maintenance),
    COMPLETE_WORK_ORDER_TYPES,
    intent,
  );
  return maintenanceInterface.encodeFunctionData('completeWorkOrderBySig', [intent, signature]);
}

describe('maintenance refusals in words', () => {
  it('names the deadline an early enforcement waits for', async () => {
    const failure = decodeMaintenanceError(
      await revertOf(
        demoWallet('planner').address,
        maintenanceInterface.encodeFunctionData('enforce', [orderId, 0]),
      ),
    );
    expect(failure).toMatchObject({ code: 'MaintenanceBreachNotDue', resign: false, appCode: 'CONFLICT' });
    expect(failure!.reason).toMatch(
      /the response deadline of work order 1 \(\d{4}-\d{2}-\d{2} .*\) has not passed/,
    );
  });

  it('signs a completion again when its nonce was passed, and refuses a signer without the role', async () => {
    const stale = decodeMaintenanceError(
      await revertOf(demoWallet('engineer').address, await signedCompletion('crew', 5n)),
    );
    expect(stale).toMatchObject({ code: 'IntentNonceMismatch', resign: true });
    const noRole = decodeMaintenanceError(
      await revertOf(demoWallet('engineer').address, await signedCompletion('planner', 0n)),
    );
    expect(noRole).toMatchObject({ code: 'TwinMissingRole', resign: false, appCode: 'FORBIDDEN' });
    expect(noRole!.reason).toMatch(/MAINTAINER role on this twin has ended or was revoked/);
  });

  it('says who may accept an order', async () => {
    const failure = decodeMaintenanceError(
      await revertOf(
        demoWallet('planner').address,
        maintenanceInterface.encodeFunctionData('acceptWorkOrder', [orderId]),
      ),
    );
    expect(failure).toMatchObject({ code: 'MaintenanceNotOrderProvider', appCode: 'FORBIDDEN' });
    expect(failure!.reason).toMatch(/only the provider work order 1 is assigned to may accept it/);
  });
});
