// Handlers of the vault requests. The router has already validated every secret's shape; errors
// from the vault name the problem, never the secret.
import type { vaultMethods } from '../../shared/api';
import type { Handlers } from '../services/router';
import type { Vault } from './vault';

export function vaultHandlers({ vault }: { vault: Vault }): Pick<Handlers, keyof typeof vaultMethods> {
  return {
    'vault.list': () => vault.list(),
    'vault.status': () => vault.status(),
    'vault.create': ({ label, password }) => vault.create(label, password),
    'vault.importKey': ({ label, privateKey, password }) =>
      vault.importPrivateKey(label, privateKey.startsWith('0x') ? privateKey : `0x${privateKey}`, password),
    'vault.importMnemonic': ({ label, mnemonic, password, accountIndex }) =>
      vault.importMnemonic(label, mnemonic, password, accountIndex ?? 0),
    'vault.unlock': ({ password, remember }) => vault.unlock(password, remember ?? true),
    'vault.lock': () => vault.lock(),
    'vault.export': async ({ id, password, format }) => ({
      format,
      secret: await vault.export(id, password, format),
    }),
    'vault.setActive': ({ id }) => vault.setActive(id),
  };
}
