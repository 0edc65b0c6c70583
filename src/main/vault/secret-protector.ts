// How the vault password may be kept between unlocks. The desktop shell plugs in the OS keychain
// (Electron safeStorage, see src/main/electron/safe-storage.ts); where nothing really protects a
// secret (Linux basic_text, serve mode) the protector says so and the app asks for the passphrase.
export interface SecretProtector {
  /** 'os': the OS keychain encrypts for this user; 'none': nothing would protect a stored secret. */
  readonly kind: 'os' | 'none';
  /** A sentence for the user: which backend, or why the passphrase is asked every time. */
  readonly description: string;
  /** Encrypts a secret for storage at rest; only called when kind is 'os'. */
  protect(secret: string): Buffer;
  /** Decrypts what protect() returned. */
  reveal(blob: Buffer): string;
}

/** No protection available: the vault never stores its password and asks for it on each unlock. */
export function passphraseOnly(reason: string): SecretProtector {
  const refuse = (): never => {
    throw new Error(`No secret protection here (${reason}).`);
  };
  return { kind: 'none', description: reason, protect: refuse, reveal: refuse };
}
