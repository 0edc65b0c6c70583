// The chain connection as the status bar sees it: which chain, whether it is reachable, its head.
import { z } from 'zod';
import { ChainMode } from './app';
import { defineEvent, defineMethod } from './define';

export const ChainState = z.enum(['starting', 'ready', 'offline', 'error', 'stopped']);
export type ChainState = z.infer<typeof ChainState>;

export const ChainHead = z.object({
  number: z.number().int().nonnegative(),
  hash: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
  timestamp: z.number().int().nonnegative(),
});

export const ChainStatus = z.object({
  mode: ChainMode,
  state: ChainState,
  /** 'Sandbox chain' or the RPC URL (without credentials). */
  label: z.string(),
  chainId: z.number().int().positive().nullable(),
  head: ChainHead.nullable(),
  lastError: z.string().nullable(),
  /** Sandbox: how long starting took (EDR and journal replay), and how many journal lines it replayed. */
  startMs: z.number().nonnegative().nullable(),
  replayedEntries: z.number().int().nonnegative().nullable(),
});
export type ChainStatus = z.infer<typeof ChainStatus>;

export const chainMethods = {
  'chain.status': defineMethod(z.object({}).strict(), ChainStatus),
  /**
   * Sandbox only: stops the embedded node (its journal keeps every block) or starts it again, so
   * offline work can be rehearsed (and tested) on one machine. Refused in network mode.
   */
  'chain.setSandboxRunning': defineMethod(z.object({ running: z.boolean() }).strict(), ChainStatus),
};

export const chainEvents = {
  'chain.statusChanged': defineEvent(ChainStatus),
};
