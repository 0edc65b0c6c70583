// The one place that talks to Hardhat's EDR: creates an in-process L1 chain from a genesis that
// can be written down and recreated byte for byte, which is what makes the replay journal work.
import {
  ContractDecoder,
  EdrContext,
  L1_CHAIN_TYPE,
  MineOrdering,
  l1GenesisState,
  l1HardforkFromString,
  l1HardforkLatest,
  l1HardforkToString,
  l1ProviderFactory,
  type Provider,
} from '@nomicfoundation/edr';

/** Everything that decides the genesis block; stored in the journal so a restart rebuilds it. */
export interface ChainGenesis {
  chainId: number;
  /** EDR hardfork name ('osaka'...); pinned when the chain is created so upgrades keep its hashes. */
  hardfork: string;
  /** Seconds since the epoch of the genesis block. */
  genesisTime: number;
  blockGasLimit: string;
  initialBaseFeePerGas: string;
  /** Pre-funded accounts (wei as decimal strings). */
  accounts: { address: string; balance: string }[];
}

export const SANDBOX_CHAIN_ID = 31337;

export function defaultGenesis(accounts: ChainGenesis['accounts'], now = Date.now()): ChainGenesis {
  return {
    chainId: SANDBOX_CHAIN_ID,
    hardfork: l1HardforkToString(l1HardforkLatest()),
    genesisTime: Math.floor(now / 1000),
    blockGasLimit: '60000000',
    initialBaseFeePerGas: '1000000000',
    accounts,
  };
}

let context: Promise<EdrContext> | undefined;

/** EDR allows one context per process; every chain shares it. */
function edrContext(): Promise<EdrContext> {
  context ??= (async () => {
    const created = new EdrContext();
    await created.registerProviderFactory(L1_CHAIN_TYPE, l1ProviderFactory());
    return created;
  })().catch((error: unknown) => {
    context = undefined;
    throw error;
  });
  return context;
}

const hexBytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.replace(/^0x/, ''), 'hex'));

export async function createEdrProvider(genesis: ChainGenesis): Promise<Provider> {
  const edr = await edrContext();
  const hardfork = l1HardforkFromString(genesis.hardfork);
  return edr.createProvider(
    L1_CHAIN_TYPE,
    {
      // Blocks may share a second, like on most L2s: replay then reproduces the chain's clock
      // exactly instead of drifting ahead by one second per block in a burst of transactions.
      allowBlocksWithSameTimestamp: true,
      allowUnlimitedContractSize: false,
      // eth_call fails like a real node; a failed transaction is mined with status 0, also like one.
      bailOnCallFailure: true,
      bailOnTransactionFailure: false,
      chainId: BigInt(genesis.chainId),
      coinbase: new Uint8Array(20),
      defaultTransactionGasLimit: 30_000_000n,
      genesisState: [
        ...l1GenesisState(hardfork),
        ...genesis.accounts.map((account) => ({
          address: hexBytes(account.address),
          balance: BigInt(account.balance),
        })),
      ],
      hardfork: genesis.hardfork,
      initialBaseFeePerGas: BigInt(genesis.initialBaseFeePerGas),
      minGasPrice: 0n,
      mining: {
        autoMine: true,
        blockGasLimit: BigInt(genesis.blockGasLimit),
        memPool: { order: MineOrdering.Priority },
      },
      network: {
        genesisBlockGasLimit: BigInt(genesis.blockGasLimit),
        genesisBlockTime: BigInt(genesis.genesisTime),
      },
      networkId: BigInt(genesis.chainId),
      observability: {},
      ownedAccounts: [],
      precompileOverrides: [],
      transactionGasCap: false,
    },
    { enable: false, decodeConsoleLogInputsCallback: () => [], printLineCallback: () => {} },
    { subscriptionCallback: () => {} },
    new ContractDecoder(),
  );
}

export interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export type RpcOutcome = { result: unknown } | { error: RpcErrorObject };

let nextId = 1;

/** One JSON-RPC call into EDR, answered as a result or an error object (never thrown). */
export async function edrCall(
  provider: Provider,
  method: string,
  params: unknown[] = [],
): Promise<RpcOutcome> {
  const response = await provider.handleRequest(
    JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
  );
  const data = (typeof response.data === 'string' ? JSON.parse(response.data) : response.data) as {
    result?: unknown;
    error?: RpcErrorObject;
  };
  if (data.error) return { error: data.error };
  return { result: data.result };
}
