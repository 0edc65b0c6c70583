// The maintenance tests' world: a real EDR chain with TwinRegistry and MaintenanceManager deployed
// from their compiled bytecode, a twin minted to the demo owner with the demo crew as MAINTAINER and
// the demo sensor as SENSOR, and helpers that send the contract's calls as raw signed transactions
// (explicit nonces) and sign readings with the sensor key (EIP-712, as a gateway does).
import {
  encodeBytes32String,
  type Interface,
  getCreateAddress,
  keccak256,
  parseEther,
  toUtf8Bytes,
  ZeroAddress,
} from 'ethers';
import { MaintenanceManager__factory, TwinRegistry__factory } from '../../src/main/chain/generated/types';
import { EmbeddedChain } from '../../src/main/chain/embedded-chain';
import { sandboxGenesis } from '../../src/main/chain/sandbox-genesis';
import { demoWallet, type DemoRole } from '../../src/main/vault/demo-identities';
import { sandboxRelayerWallet } from '../../src/main/sync/deployment';
import { READING_TYPES } from '../../src/main/gateway/maintenance-abi';

/** Plain ethers interfaces: the tests call functions by name. */
export const registryInterface: Interface = TwinRegistry__factory.createInterface();
export const maintenanceInterface: Interface = MaintenanceManager__factory.createInterface();

export const PUMP_GLOBAL_ID = '13kXneVBL8egWoGKRJw4xa';
export const PUMP = keccak256(toUtf8Bytes(PUMP_GLOBAL_ID));
export const VIBRATION = encodeBytes32String('vibration_mm_s');
export const PENALTY = parseEther('0.1');
export const BOND = parseEther('1');

interface Receipt {
  status: string;
  blockNumber: string;
  logs: { address: string; topics: string[]; data: string }[];
}

export class MaintenanceLab {
  private readonly nonces = new Map<string, number>();
  private sequence = 0;
  registry = '';
  maintenance = '';
  startBlock = 0;
  twinId = 1n;

  private constructor(readonly chain: EmbeddedChain) {}

  /** A chain with both contracts, a twin and its roles (crew MAINTAINER, sensor SENSOR, planner VIEWER). */
  static async start(): Promise<MaintenanceLab> {
    const chain = await EmbeddedChain.start({
      genesis: () => sandboxGenesis([sandboxRelayerWallet().address]),
    });
    const lab = new MaintenanceLab(chain);
    const owner = demoWallet('owner');
    const deployed = await lab.deploy('owner', TwinRegistry__factory.bytecode);
    lab.registry = getCreateAddress({ from: owner.address, nonce: deployed.nonce });
    lab.startBlock = Number(deployed.receipt.blockNumber);
    const args = maintenanceInterface.encodeDeploy([lab.registry]).slice(2);
    const manager = await lab.deploy('owner', MaintenanceManager__factory.bytecode + args);
    lab.maintenance = getCreateAddress({ from: owner.address, nonce: manager.nonce });
    await lab.registryCall('owner', 'mintTwin', [
      owner.address,
      'maintenance lab',
      'twinledger:test/maintenance',
    ]);
    await lab.registryCall('owner', 'grantRole', [lab.twinId, 2, demoWallet('crew').address, 0]);
    await lab.registryCall('owner', 'grantRole', [lab.twinId, 4, demoWallet('sensor').address, 0]);
    await lab.registryCall('owner', 'grantRole', [lab.twinId, 3, demoWallet('planner').address, 0]);
    return lab;
  }

  get chainId(): number {
    return this.chain.chainId;
  }

  get deployment() {
    return {
      chainId: this.chainId,
      registry: this.registry,
      startBlock: this.startBlock,
      manifest: {
        contracts: {
          TwinRegistry: { address: this.registry },
          MaintenanceManager: { address: this.maintenance },
        },
      },
    };
  }

  close(): Promise<void> {
    return this.chain.close();
  }

  private async nextNonce(address: string): Promise<number> {
    const nonce =
      this.nonces.get(address) ??
      Number(await this.chain.request({ method: 'eth_getTransactionCount', params: [address, 'latest'] }));
    this.nonces.set(address, nonce + 1);
    return nonce;
  }

  /** Forgets cached nonces (after evm_revert the chain's are lower). */
  resetNonces(): void {
    this.nonces.clear();
  }

  private async deploy(who: DemoRole, data: string): Promise<{ nonce: number; receipt: Receipt }> {
    const wallet = demoWallet(who);
    const nonce = await this.nextNonce(wallet.address);
    const raw = await wallet.signTransaction({
      type: 2,
      chainId: this.chainId,
      nonce,
      maxFeePerGas: 10n ** 11n,
      maxPriorityFeePerGas: 10n ** 9n,
      gasLimit: 16_000_000n,
      data,
    });
    const hash = (await this.chain.request({ method: 'eth_sendRawTransaction', params: [raw] })) as string;
    const receipt = (await this.chain.request({
      method: 'eth_getTransactionReceipt',
      params: [hash],
    })) as Receipt;
    if (receipt.status !== '0x1') throw new Error('deployment failed');
    return { nonce, receipt };
  }

  async send(who: DemoRole, to: string, data: string, value = 0n): Promise<Receipt> {
    const wallet = demoWallet(who);
    const raw = await wallet.signTransaction({
      type: 2,
      chainId: this.chainId,
      nonce: await this.nextNonce(wallet.address),
      maxFeePerGas: 10n ** 11n,
      maxPriorityFeePerGas: 10n ** 9n,
      gasLimit: 2_000_000n,
      to,
      data,
      value,
    });
    const hash = (await this.chain.request({ method: 'eth_sendRawTransaction', params: [raw] })) as string;
    const receipt = (await this.chain.request({
      method: 'eth_getTransactionReceipt',
      params: [hash],
    })) as Receipt;
    if (receipt.status !== '0x1') throw new Error(`transaction from ${who} reverted`);
    return receipt;
  }

  registryCall(who: DemoRole, name: string, args: unknown[]): Promise<Receipt> {
    return this.send(who, this.registry, registryInterface.encodeFunctionData(name, args));
  }

  call(who: DemoRole, name: string, args: unknown[], value = 0n): Promise<Receipt> {
    return this.send(who, this.maintenance, maintenanceInterface.encodeFunctionData(name, args), value);
  }

  async view<T = unknown>(name: string, args: unknown[]): Promise<T> {
    const data = maintenanceInterface.encodeFunctionData(name, args);
    const result = (await this.chain.request({
      method: 'eth_call',
      params: [{ to: this.maintenance, data }, 'latest'],
    })) as string;
    return maintenanceInterface.decodeFunctionResult(name, result)[0] as T;
  }

  async time(): Promise<number> {
    const block = (await this.chain.request({
      method: 'eth_getBlockByNumber',
      params: ['latest', false],
    })) as {
      timestamp: string;
    };
    return Number(block.timestamp);
  }

  async advance(seconds: number): Promise<void> {
    await this.chain.request({ method: 'evm_increaseTime', params: [seconds] });
    await this.chain.request({ method: 'evm_mine', params: [] });
  }

  /** SLA terms (crew as provider, planner as escalation contact), a crew bond, a pump sensor and a rule. */
  async configure(options: { responseTime?: number; resolutionTime?: number } = {}): Promise<void> {
    await this.call('owner', 'setSlaTerms', [
      this.twinId,
      {
        provider: demoWallet('crew').address,
        asset: ZeroAddress,
        penalty: PENALTY,
        responseTime: options.responseTime ?? 3600,
        resolutionTime: options.resolutionTime ?? 86_400,
        escalationContact: demoWallet('planner').address,
      },
    ]);
    await this.call('crew', 'postBond', [this.twinId, ZeroAddress, BOND], BOND);
    await this.call('owner', 'registerSensor', [
      this.twinId,
      PUMP,
      VIBRATION,
      demoWallet('sensor').address,
      0,
      100_000,
    ]);
    // vibration > 7.1 mm/s (x1000) opens a work order of kind "inspect pump".
    await this.call('owner', 'addConditionRule', [
      this.twinId,
      PUMP,
      VIBRATION,
      0,
      7_100,
      0,
      encodeBytes32String('inspect pump'),
    ]);
  }

  /** A reading signed by the demo sensor key, relayed by `relayer`. */
  async report(value: number, relayer: DemoRole = 'engineer'): Promise<Receipt> {
    const reading = {
      twinId: this.twinId,
      elementKey: PUMP,
      metric: VIBRATION,
      value: BigInt(value),
      timestamp: BigInt(await this.time()),
      sequence: BigInt(++this.sequence),
    };
    const signature = await demoWallet('sensor').signTypedData(
      {
        name: 'TwinLedger Maintenance',
        version: '1',
        chainId: this.chainId,
        verifyingContract: this.maintenance,
      },
      READING_TYPES,
      reading,
    );
    return this.call(relayer, 'reportReading', [reading, signature]);
  }
}
