// App-level requests: identity of the build, user settings and a health probe.
import { z } from 'zod';
import { defineEvent, defineMethod } from './define';

export const ChainMode = z.enum(['sandbox', 'network']);
export type ChainMode = z.infer<typeof ChainMode>;

export const Theme = z.enum(['system', 'light', 'dark']);

export const AppInfo = z.object({
  name: z.string(),
  version: z.string(),
  /** 'electron' when the desktop shell hosts the services, 'serve' for the headless host. */
  host: z.enum(['electron', 'serve']),
  platform: z.string(),
  versions: z.record(z.string(), z.string()),
  dataDir: z.string(),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const Settings = z
  .object({
    theme: Theme,
    chainMode: ChainMode,
    /**
     * JSON-RPC endpoint for network mode (HTTP or HTTPS: the chain service speaks JSON-RPC over
     * HTTP); ignored in sandbox mode.
     */
    rpcUrl: z.url({ protocol: /^https?$/ }).nullable(),
    /** Minutes of inactivity after which the vault locks itself. */
    vaultIdleLockMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60),
    /** Largest IFC file the importer accepts, in megabytes. */
    maxImportMegabytes: z.number().int().min(1).max(4096),
    /** Network mode: the deployment manifest (scripts/deploy.ts writes one) naming the contracts. */
    deploymentManifestPath: z.string().min(1).max(4096).nullable(),
    /** Network mode: blocks the indexer holds back from the head (the sandbox cannot reorg: 0). */
    syncConfirmations: z.number().int().min(0).max(256),
  })
  .strict();
export type Settings = z.infer<typeof Settings>;

export const defaultSettings: Settings = {
  theme: 'system',
  chainMode: 'sandbox',
  rpcUrl: null,
  vaultIdleLockMinutes: 15,
  maxImportMegabytes: 512,
  deploymentManifestPath: null,
  syncConfirmations: 2,
};

export const HealthCheck = z.object({
  name: z.string(),
  ok: z.boolean(),
  detail: z.string(),
});

export const Health = z.object({
  ok: z.boolean(),
  uptimeMs: z.number().nonnegative(),
  checks: z.array(HealthCheck),
});
export type Health = z.infer<typeof Health>;

/** What the status bar shows: which chain mode and which identity are active. */
export const SessionStatus = z.object({
  chainMode: ChainMode,
  chainLabel: z.string(),
  online: z.boolean(),
  identity: z.object({ label: z.string(), address: z.string().regex(/^0x[0-9a-fA-F]{40}$/) }).nullable(),
});
export type SessionStatus = z.infer<typeof SessionStatus>;

export const appMethods = {
  'app.info': defineMethod(z.object({}).strict(), AppInfo),
  'app.health': defineMethod(z.object({}).strict(), Health),
  'app.status': defineMethod(z.object({}).strict(), SessionStatus),
  'settings.get': defineMethod(z.object({}).strict(), Settings),
  /** Partial update; answers the full settings after the change is durable. */
  'settings.update': defineMethod(Settings.partial().strict(), Settings),
};

export const appEvents = {
  'settings.changed': defineEvent(Settings),
  'app.statusChanged': defineEvent(SessionStatus),
};
