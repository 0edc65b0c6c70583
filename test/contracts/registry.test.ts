// TwinRegistry through ethers, as the app uses it: signatures from two independent EIP-712
// implementations, replay protection, Merkle proofs from @openzeppelin/merkle-tree, batch outcomes
// read from receipts, expiry under time travel, and history rebuilt from events alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignTypedDataVersion, signTypedData } from '@metamask/eth-sig-util';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { TypedDataEncoder, keccak256, toUtf8Bytes, encodeBytes32String, id } from 'ethers';
import { TwinRegistry__factory } from '../../src/main/chain/generated';
import {
  COMMIT_VERSION_TYPES,
  EIP712_DOMAIN_TYPE,
  LOG_SERVICE_TYPES,
  TWIN_REGISTRY_DOMAIN,
  TWIN_ROLES,
  twinRegistryDomain,
  type CommitVersionIntent,
} from '../../src/shared/eip712';
import { EDITOR_KEY, FAR, commitIntent, deployFixture, revertOf, signCommit } from './helpers';

const hash = (label: string): string => keccak256(toUtf8Bytes(label));

describe('TwinRegistry (ethers)', () => {
  it('test_typeHashes_matchSharedDefinitions', async () => {
    const { registry } = await deployFixture();
    assert.equal(
      await registry.COMMIT_VERSION_TYPEHASH(),
      id(TypedDataEncoder.from(COMMIT_VERSION_TYPES).encodeType('CommitVersion')),
    );
    assert.equal(
      await registry.LOG_SERVICE_TYPEHASH(),
      id(TypedDataEncoder.from(LOG_SERVICE_TYPES).encodeType('LogService')),
    );
  });

  it('test_eip712Domain_matchesSharedDomain', async () => {
    const { registry, chainId, address } = await deployFixture();
    const domain = await registry.eip712Domain();
    assert.equal(domain.name, TWIN_REGISTRY_DOMAIN.name);
    assert.equal(domain.version, TWIN_REGISTRY_DOMAIN.version);
    assert.equal(domain.chainId, chainId);
    assert.equal(domain.verifyingContract, address);
  });

  it('test_commitVersionBySig_ethersAndEthSigUtilSignatures_bothVerifyOnChain', async () => {
    const { registry, relayer, editor, domain, twinId, chainId, address } = await deployFixture();
    const toEthSigUtil = (intent: CommitVersionIntent) => ({
      types: { EIP712Domain: EIP712_DOMAIN_TYPE, ...COMMIT_VERSION_TYPES },
      primaryType: 'CommitVersion' as const,
      domain: { ...TWIN_REGISTRY_DOMAIN, chainId: Number(chainId), verifyingContract: address },
      message: Object.fromEntries(
        Object.entries(intent).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]),
      ),
    });
    const metamaskSign = (intent: CommitVersionIntent) =>
      signTypedData({
        privateKey: Buffer.from(EDITOR_KEY.slice(2), 'hex'),
        data: toEthSigUtil(intent),
        version: SignTypedDataVersion.V4,
      });

    const first = await commitIntent(registry, editor.address, twinId, hash('root-1'), hash('changes-1'));
    const byEthers = await signCommit(editor, domain, first);
    const byMetamask = metamaskSign(first);
    assert.equal(byMetamask, byEthers, 'both implementations produce the same signature');
    await (await registry.connect(relayer).commitVersionBySig(first, byMetamask)).wait();

    const second = await commitIntent(registry, editor.address, twinId, hash('root-2'), hash('changes-2'));
    await (
      await registry.connect(relayer).commitVersionBySig(second, await signCommit(editor, domain, second))
    ).wait();
    assert.equal(await registry.headVersion(twinId), 2n);
    assert.equal(await registry.versionRoot(twinId, 1), hash('root-1'));
  });

  it('test_commitVersionBySig_otherChainIdOrContract_fails', async () => {
    const { registry, owner, relayer, editor, twinId, address, chainId } = await deployFixture();
    const intent = await commitIntent(registry, editor.address, twinId, hash('root'), hash('changes'));
    const otherChain = await signCommit(editor, twinRegistryDomain(chainId + 1n, address), intent);
    await assert.rejects(registry.connect(relayer).commitVersionBySig(intent, otherChain), (error) => {
      assert.deepEqual(revertOf(registry, error), { name: 'IntentInvalidSignature', args: [editor.address] });
      return true;
    });

    const other = await new TwinRegistry__factory(owner).deploy();
    await (await other.mintTwin(owner.address, 'Duplex', 'ipfs://meta/duplex')).wait();
    await (await other.grantRole(twinId, TWIN_ROLES.Editor, editor.address, 0)).wait();
    const valid = await signCommit(editor, twinRegistryDomain(chainId, address), intent);
    await assert.rejects(other.connect(relayer).commitVersionBySig(intent, valid), (error) => {
      assert.equal(revertOf(other, error)?.name, 'IntentInvalidSignature');
      return true;
    });
    await (await registry.connect(relayer).commitVersionBySig(intent, valid)).wait();
    await assert.rejects(registry.connect(relayer).commitVersionBySig(intent, valid), (error) => {
      assert.equal(revertOf(registry, error)?.name, 'IntentNonceMismatch');
      return true;
    });
  });

  it('test_verifyElement_standardMerkleTreeProofs_verifyOnChain', async () => {
    const { registry, editor, twinId, domain, relayer } = await deployFixture();
    const leaves: [string, string][] = Array.from({ length: 37 }, (_, i) => [
      keccak256(toUtf8Bytes(`GlobalId-${i.toString().padStart(4, '0')}`)),
      hash(`state-${i}`),
    ]);
    const tree = StandardMerkleTree.of(leaves, ['bytes32', 'bytes32']);
    // The editor's key holds no ether: the commit travels as a relayed intent, as from the field.
    const intent = await commitIntent(registry, editor.address, twinId, tree.root, hash('changes'));
    await (
      await registry.connect(relayer).commitVersionBySig(intent, await signCommit(editor, domain, intent))
    ).wait();
    for (const [i, [key, state]] of tree.entries()) {
      assert.equal(await registry.verifyElement(twinId, 1, key, state, tree.getProof(i)), true, `leaf ${i}`);
    }
    const [key0, state0] = leaves[0]!;
    const proof0 = tree.getProof([key0, state0]);
    assert.equal(await registry.verifyElement(twinId, 1, key0, hash('tampered'), proof0), false);
  });

  it('test_relayBatch_failureReasonDecodableFromReceipt', async () => {
    const { registry, owner, relayer, editor, maintainer, domain, twinId } = await deployFixture();
    const good = await commitIntent(registry, editor.address, twinId, hash('root-1'), hash('c1'));
    const goodSig = await signCommit(editor, domain, good);
    const log = {
      signer: maintainer.address,
      twinId,
      elementKey: hash('2O2Fr$t4X7Zf8NOew3FLOH'),
      kind: encodeBytes32String('inspection'),
      reportHash: hash('report'),
      uri: 'ipfs://report/1',
      nonce: 0n,
      deadline: FAR,
    };
    const logSig = await maintainer.signTypedData(domain, LOG_SERVICE_TYPES, log);
    // The maintainer's engagement ends while the intent is queued offline.
    await (await registry.connect(owner).endEngagement(twinId, maintainer.address)).wait();

    const calls = [
      registry.interface.encodeFunctionData('commitVersionBySig', [good, goodSig]),
      registry.interface.encodeFunctionData('logServiceBySig', [log, logSig]),
    ];
    const receipt = await (await registry.connect(relayer).relayBatch(calls)).wait();
    assert.ok(receipt);
    const events = receipt.logs.map((l) => registry.interface.parseLog(l)).filter((e) => e !== null);
    const executed = events.filter((e) => e.name === 'IntentExecuted').map((e) => e.args.digest as string);
    assert.deepEqual(executed, [TypedDataEncoder.hash(domain, COMMIT_VERSION_TYPES, good)]);
    const failed = events.filter((e) => e.name === 'IntentFailed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.args.index, 1n);
    const reason = registry.interface.parseError(failed[0]!.args.reason as string);
    assert.equal(reason?.name, 'TwinMissingRole');
    assert.deepEqual([...reason!.args], [twinId, BigInt(TWIN_ROLES.Maintainer), maintainer.address]);
    const summary = events.find((e) => e.name === 'IntentBatchRelayed');
    assert.deepEqual([...summary!.args], [relayer.address, 2n, 1n]);
    assert.equal(await registry.headVersion(twinId), 1n);
  });

  it('test_commitVersion_afterRoleExpiry_revertsNamingEditor', async () => {
    const { registry, owner, stranger, twinId, connection } = await deployFixture();
    const now = BigInt(await connection.networkHelpers.time.latest());
    await (
      await registry.connect(owner).grantRole(twinId, TWIN_ROLES.Editor, stranger.address, now + 3600n)
    ).wait();
    await (
      await registry.connect(stranger).commitVersion(twinId, 0, hash('r1'), hash('c1'), 'ipfs://1')
    ).wait();
    await connection.networkHelpers.time.increase(3600);
    await assert.rejects(
      registry.connect(stranger).commitVersion(twinId, 1, hash('r2'), hash('c2'), 'ipfs://2'),
      (error) => {
        assert.deepEqual(revertOf(registry, error), {
          name: 'TwinMissingRole',
          args: [twinId, BigInt(TWIN_ROLES.Editor), stranger.address],
        });
        return true;
      },
    );
  });

  it('test_events_rebuildGrantsAndHistoryWithoutCalls', async () => {
    const { registry, owner, stranger, relayer, editor, maintainer, twinId, connection } =
      await deployFixture();
    const now = BigInt(await connection.networkHelpers.time.latest());
    const asOwner = registry.connect(owner);
    await (await asOwner.grantRole(twinId, TWIN_ROLES.Editor, stranger.address, 0)).wait();
    await (await asOwner.grantRole(twinId, TWIN_ROLES.Viewer, relayer.address, now + 1000n)).wait();
    await (await asOwner.grantRole(twinId, TWIN_ROLES.Sensor, relayer.address, 0)).wait();
    await (await asOwner.revokeRole(twinId, TWIN_ROLES.Sensor, relayer.address)).wait();
    for (let v = 0; v < 3; v++) {
      await (
        await registry.connect(stranger).commitVersion(twinId, v, hash(`r${v}`), hash(`c${v}`), `ipfs://${v}`)
      ).wait();
    }
    await (await asOwner.endEngagement(twinId, stranger.address)).wait();

    // Grants: replay RoleGranted / RoleRevoked / EngagementEnded in log order.
    const logs = await registry.queryFilter('*' as never, 0);
    const grants = new Map<string, bigint>();
    for (const log of logs) {
      const event = registry.interface.parseLog(log);
      if (!event || event.args.twinId !== twinId) continue;
      if (event.name === 'RoleGranted')
        grants.set(`${event.args.account}:${event.args.role}`, event.args.expiresAt);
      if (event.name === 'RoleRevoked') grants.delete(`${event.args.account}:${event.args.role}`);
      if (event.name === 'EngagementEnded') {
        for (const key of [...grants.keys()])
          if (key.startsWith(`${event.args.account}:`)) grants.delete(key);
      }
    }
    assert.deepEqual(
      [...grants.entries()].sort(),
      [
        [`${editor.address}:1`, 0n],
        [`${maintainer.address}:2`, 0n],
        [`${relayer.address}:3`, now + 1000n],
      ].sort(),
    );
    for (const [key, expiresAt] of grants) {
      const [account, role] = key.split(':');
      const stored = await registry.roleExpiresAt(twinId, Number(role), account!);
      assert.equal(stored, expiresAt === 0n ? 2n ** 40n - 1n : expiresAt);
    }

    // History: every version from VersionCommitted alone, in order, each root as stored.
    const history = (await registry.queryFilter(registry.filters.VersionCommitted(twinId))).map(
      (e) => e.args,
    );
    assert.deepEqual(
      history.map((e) => e.version),
      [1n, 2n, 3n],
    );
    assert.deepEqual(
      history.map((e) => e.actor),
      [stranger.address, stranger.address, stranger.address],
    );
    assert.deepEqual(
      history.map((e) => e.packageUri),
      ['ipfs://0', 'ipfs://1', 'ipfs://2'],
    );
    for (const e of history) assert.equal(await registry.versionRoot(twinId, e.version), e.modelRoot);
  });
});
