// Sensor broker passwords: scrypt with a random salt per credential, compared in constant time.
// Only the hash and salt are stored; the password itself is never kept or logged.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';

/** scrypt cost of new credentials: ~30 ms per check here, paid once per sensor connection. */
export const CREDENTIAL_SCRYPT_N = 1 << 14;
const KEY_LENGTH = 32;

export interface PasswordHash {
  salt: Buffer;
  hash: Buffer;
  scryptN: number;
}

function scrypt(password: string | Buffer, salt: Buffer, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(password, salt, KEY_LENGTH, { N: n, r: 8, p: 1, maxmem: 256 * n * 8 }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string, scryptN = CREDENTIAL_SCRYPT_N): Promise<PasswordHash> {
  const salt = randomBytes(16);
  return { salt, hash: await scrypt(password, salt, scryptN), scryptN };
}

export async function verifyPassword(password: string | Buffer, stored: PasswordHash): Promise<boolean> {
  const key = await scrypt(password, stored.salt, stored.scryptN);
  return key.length === stored.hash.length && timingSafeEqual(key, stored.hash);
}
