// The deploy script deploys the committed bytecode and writes a manifest the app can use.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {} from '@nomicfoundation/hardhat-ethers';
import { network } from 'hardhat';
import { deploySuite } from '../../scripts/deploy';
import { TwinRegistry__factory } from '../../src/main/chain/generated';

describe('scripts/deploy.ts', () => {
  it('test_deploySuite_writesManifestOfLiveContracts', async () => {
    const { ethers } = await network.create();
    const [deployer] = await ethers.getSigners();
    await ethers.provider.send('evm_mine', []);
    const manifest = await deploySuite(deployer!);
    const { chainId } = await ethers.provider.getNetwork();
    assert.equal(manifest.chainId, Number(chainId));
    assert.equal(manifest.deployer, deployer!.address);
    const entry = manifest.contracts.TwinRegistry!;
    assert.equal(manifest.startBlock, entry.blockNumber);
    assert.ok(manifest.startBlock > 0);
    const registry = TwinRegistry__factory.connect(entry.address, deployer!);
    const domain = await registry.eip712Domain();
    assert.equal(domain.name, manifest.eip712.name);
    assert.equal(domain.verifyingContract, entry.address);
  });
});
