// Demo identities for sandbox mode: derived from the well-known public test mnemonic (the one
// Hardhat and Foundry print), so anyone can recompute them. They protect nothing and are labelled
// so; the vault lets them sign only for the sandbox chain.
import { HDNodeWallet, Mnemonic } from 'ethers';

/** PUBLIC test mnemonic. Never use these keys for anything of value. */
export const DEMO_MNEMONIC = 'test test test test test test test test test test test junk';

export const DEMO_ROLES = ['owner', 'engineer', 'crew', 'planner', 'sensor'] as const;
export type DemoRole = (typeof DEMO_ROLES)[number];

export interface DemoIdentity {
  role: DemoRole;
  label: string;
  /** BIP-44 path: m/44'/60'/0'/0/index. */
  path: string;
  address: string;
}

const demoPath = (index: number) => `m/44'/60'/0'/0/${index}`;

const labels: Record<DemoRole, string> = {
  owner: 'Demo owner',
  engineer: 'Demo engineer',
  crew: 'Demo maintenance crew',
  planner: 'Demo planner',
  sensor: 'Demo sensor gateway',
};

let cached: DemoIdentity[] | undefined;

/** The five demo identities, one per role, in a fixed order (derivation index = position). */
export function demoIdentities(): DemoIdentity[] {
  cached ??= DEMO_ROLES.map((role, index) => ({
    role,
    label: `${labels[role]} (public demo key)`,
    path: demoPath(index),
    address: demoWallet(role).address,
  }));
  return cached.map((identity) => ({ ...identity }));
}

/** The demo role's wallet; main only (its key is public, but it is still a key). */
export function demoWallet(role: DemoRole): HDNodeWallet {
  const index = DEMO_ROLES.indexOf(role);
  return HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEMO_MNEMONIC), demoPath(index));
}
