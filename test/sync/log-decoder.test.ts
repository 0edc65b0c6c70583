// The fast log decoder gives exactly what ethers' Interface.parseLog gives, for every registry
// event a real history produces (including batch relay outcomes with revert bytes).
import { afterAll, expect, it } from 'vitest';
import { EmbeddedChain } from '../../src/main/chain/embedded-chain';
import { TwinRegistry__factory } from '../../src/main/chain/generated/types';
import { sandboxGenesis } from '../../src/main/chain/sandbox-genesis';
import { decodeRegistryEvent, decodeWithEthers } from '../../src/main/sync/log-decoder';
import { RegistryDriver, writeHistory } from './registry-fixture';

let chain: EmbeddedChain;
afterAll(() => chain?.close());

it('decodes every registry event like ethers does', async () => {
  chain = await EmbeddedChain.start({ genesis: () => sandboxGenesis() });
  const driver = await RegistryDriver.deploy(chain, chain.chainId);
  await writeHistory(driver, { twins: 2, versions: 3, perBlock: 4, seed: 3 });
  const iface = TwinRegistry__factory.createInterface();
  // A batch whose only entry is not an intent call: reported by IntentFailed with revert bytes.
  await driver.send('sensor', iface.encodeFunctionData('relayBatch', [['0x12345678']]));
  await driver.send('owner', RegistryDriver.endEngagement(1, '0x000000000000000000000000000000000000dEaD'));
  const logs = (await chain.request({
    method: 'eth_getLogs',
    params: [{ address: driver.registry, fromBlock: '0x0', toBlock: 'latest' }],
  })) as { topics: string[]; data: string }[];
  const names = new Set<string>();
  for (const log of logs) {
    const fast = decodeRegistryEvent(log.topics, log.data);
    expect(fast).toEqual(decodeWithEthers(log.topics, log.data));
    names.add(fast!.name);
  }
  expect([...names].sort()).toEqual(
    expect.arrayContaining([
      'EngagementEnded',
      'IntentBatchRelayed',
      'IntentFailed',
      'RoleGranted',
      'ServiceLogged',
      'TwinMinted',
      'Transfer',
      'VersionCommitted',
    ]),
  );
  expect(decodeRegistryEvent([`0x${'ab'.repeat(32)}`], '0x')).toBeNull();
});
