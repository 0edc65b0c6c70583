// The vault's secret protector in the desktop app: Electron's safeStorage (Keychain, DPAPI,
// libsecret/kwallet). On Linux's basic_text backend safeStorage would only obfuscate with a fixed
// key, so the vault is told nothing protects it and asks for the passphrase instead.
import { safeStorage } from 'electron';
import { passphraseOnly, type SecretProtector } from '../vault/secret-protector';

export function createSafeStorageProtector(): SecretProtector {
  if (!safeStorage.isEncryptionAvailable()) {
    return passphraseOnly('No OS keychain is available, so the vault asks for its password on every unlock.');
  }
  if (process.platform === 'linux') {
    const backend = safeStorage.getSelectedStorageBackend();
    if (backend === 'basic_text' || backend === 'unknown') {
      return passphraseOnly(
        'No keyring (GNOME Keyring or KWallet) is running: secrets would be stored as plain text, so the ' +
          'vault asks for its password on every unlock instead.',
      );
    }
    return osProtector(`Protected by the ${backend} keyring.`);
  }
  return osProtector(
    process.platform === 'darwin' ? 'Protected by the macOS Keychain.' : 'Protected by Windows DPAPI.',
  );
}

function osProtector(description: string): SecretProtector {
  return {
    kind: 'os',
    description,
    protect: (secret) => safeStorage.encryptString(secret),
    reveal: (blob) => safeStorage.decryptString(blob),
  };
}
