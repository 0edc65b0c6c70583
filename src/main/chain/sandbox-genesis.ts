// The sandbox chain's genesis: the demo identities (and any extra accounts) funded with test ether.
import { defaultGenesis, type ChainGenesis } from './edr';
import { demoIdentities } from '../vault/demo-identities';

/** 10,000 test ether per funded account. */
export const SANDBOX_FUNDING_WEI = (10_000n * 10n ** 18n).toString();

export function sandboxGenesis(extraAccounts: string[] = [], now = Date.now()): ChainGenesis {
  const addresses = [...demoIdentities().map((identity) => identity.address), ...extraAccounts];
  const unique = [...new Map(addresses.map((a) => [a.toLowerCase(), a])).values()];
  return defaultGenesis(
    unique.map((address) => ({ address, balance: SANDBOX_FUNDING_WEI })),
    now,
  );
}
