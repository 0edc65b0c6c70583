// The vault's requests: identities (create, import, choose), lock state and export. Keys stay in
// main; secrets in requests are validated here and never echoed back in errors.
import { z } from 'zod';
import { defineEvent, defineMethod } from './define';

const Address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const IdentityId = z.string().min(1).max(64);
const Label = z.string().trim().min(1).max(80);
/** The vault password (also the passphrase asked where no OS keychain protects it). */
const Password = z.string().min(8, 'needs at least 8 characters').max(1024, 'is too long');
const PrivateKey = z.string().regex(/^(0x)?[0-9a-fA-F]{64}$/, 'must be 64 hexadecimal characters');
const RecoveryPhrase = z
  .string()
  .max(512, 'is too long')
  .refine((phrase) => [12, 15, 18, 21, 24].includes(phrase.trim().split(/\s+/).length), {
    message: 'must have 12, 15, 18, 21 or 24 words',
  });

export const IdentityKind = z.enum(['generated', 'privateKey', 'mnemonic', 'demo']);

export const Identity = z.object({
  id: IdentityId,
  label: z.string(),
  address: Address,
  kind: IdentityKind,
  createdAt: z.string(),
  demoRole: z.enum(['owner', 'engineer', 'crew', 'planner', 'sensor']).optional(),
  active: z.boolean(),
  /** Can sign now: unlocked, or a public demo key. */
  usable: z.boolean(),
});
export type Identity = z.infer<typeof Identity>;

export const VaultStatus = z.object({
  locked: z.boolean(),
  initialized: z.boolean(),
  /** 'os': the OS keychain protects the remembered password; 'none': the passphrase is asked. */
  protection: z.object({ kind: z.enum(['os', 'none']), description: z.string() }),
  canUnlockWithoutPassword: z.boolean(),
  idleLockMinutes: z.number(),
  lockAt: z.number().nullable(),
  active: z.object({ id: IdentityId, label: z.string(), address: Address, kind: IdentityKind }).nullable(),
  identityCount: z.number().int().nonnegative(),
});
export type VaultStatus = z.infer<typeof VaultStatus>;

export const VaultExport = z.object({
  format: z.enum(['keystore', 'privateKey', 'mnemonic']),
  /** The keystore JSON, the 0x private key or the recovery phrase. */
  secret: z.string(),
});

export const vaultMethods = {
  'vault.list': defineMethod(z.object({}).strict(), z.array(Identity)),
  'vault.status': defineMethod(z.object({}).strict(), VaultStatus),
  'vault.create': defineMethod(z.object({ label: Label, password: Password }).strict(), Identity),
  'vault.importKey': defineMethod(
    z.object({ label: Label, privateKey: PrivateKey, password: Password }).strict(),
    Identity,
  ),
  'vault.importMnemonic': defineMethod(
    z
      .object({
        label: Label,
        mnemonic: RecoveryPhrase,
        password: Password,
        accountIndex: z
          .number()
          .int()
          .min(0)
          .max(2 ** 31 - 1)
          .optional(),
      })
      .strict(),
    Identity,
  ),
  /** Without a password only where the OS keychain remembers it (status.canUnlockWithoutPassword). */
  'vault.unlock': defineMethod(
    z.object({ password: Password.optional(), remember: z.boolean().optional() }).strict(),
    VaultStatus,
  ),
  'vault.lock': defineMethod(z.object({}).strict(), VaultStatus),
  /** Always needs the password, even when unlocked. */
  'vault.export': defineMethod(
    z.object({ id: IdentityId, password: Password, format: VaultExport.shape.format }).strict(),
    VaultExport,
  ),
  'vault.setActive': defineMethod(z.object({ id: IdentityId }).strict(), Identity),
};

export const vaultEvents = {
  'vault.changed': defineEvent(VaultStatus),
};
