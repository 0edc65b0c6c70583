// The embedded chain's memory across restarts: EDR cannot dump its state, so every state-changing
// call is appended (and fsynced) to a JSON-lines file with the timestamps of the blocks it made;
// replaying the file into a fresh EDR rebuilds the same chain, hash for hash.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileDurably } from '../services/durable-file';
import type { ChainGenesis } from './edr';

export const JOURNAL_VERSION = 1;

/** The method name of a compacted run of empty blocks: params [], one timestamp per block. */
export const MINE_AT = 'twinledger_mineAt';

export interface JournalEntry {
  /** The JSON-RPC method as called (or MINE_AT after compaction). */
  method: string;
  params: unknown[];
  /** Timestamps of the blocks this call mined: the first only (later ones follow from params),
   *  or every block for MINE_AT. Null when the call mined nothing. */
  blockTimestamps: number[] | null;
  /** Seconds the chain's clock runs ahead of the wall clock after this call. */
  clockOffset: number;
  /** The call answered an error yet mined a block (replay expects the same error). */
  failed?: boolean;
}

interface Header {
  version: number;
  genesis: ChainGenesis;
}

export interface JournalOptions {
  /** fsync after every append (default). Off only for throwaway chains and benchmarks. */
  durable?: boolean;
}

export class ChainJournal {
  private fd: number;
  private readonly items: JournalEntry[];
  private readonly durable: boolean;

  private constructor(
    readonly path: string,
    readonly genesis: ChainGenesis,
    items: JournalEntry[],
    options: JournalOptions,
  ) {
    this.items = items;
    this.durable = options.durable ?? true;
    this.fd = openSync(path, 'a', 0o600);
  }

  /** Opens the journal at path, creating it with newGenesis() when there is none. */
  static open(path: string, newGenesis: () => ChainGenesis, options: JournalOptions = {}): ChainJournal {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    if (!existsSync(path)) {
      const genesis = newGenesis();
      writeFileDurably(path, `${JSON.stringify({ version: JOURNAL_VERSION, genesis } satisfies Header)}\n`);
      return new ChainJournal(path, genesis, [], options);
    }
    const lines = readFileSync(path, 'utf8').split('\n');
    const header = JSON.parse(lines[0] ?? '') as Header;
    if (header.version !== JOURNAL_VERSION) {
      throw new Error(
        `Chain journal ${path} has version ${header.version}; this app reads version ${JOURNAL_VERSION}.`,
      );
    }
    const items: JournalEntry[] = [];
    let torn = false;
    for (const [index, line] of lines.slice(1).entries()) {
      if (line === '') continue;
      try {
        items.push(JSON.parse(line) as JournalEntry);
      } catch (error) {
        // Only the last line can be half-written (a crash during append); anything else is damage.
        if (index !== lines.length - 2 && !(index === lines.length - 3 && lines.at(-1) === '')) throw error;
        torn = true;
      }
    }
    const journal = new ChainJournal(path, header.genesis, items, options);
    if (torn) journal.rewrite();
    return journal;
  }

  get length(): number {
    return this.items.length;
  }

  entries(): readonly JournalEntry[] {
    return this.items;
  }

  /** The clock offset the chain had after the last recorded call. */
  get clockOffset(): number {
    return this.items.at(-1)?.clockOffset ?? 0;
  }

  append(entry: JournalEntry): void {
    writeSync(this.fd, `${JSON.stringify(entry)}\n`);
    if (this.durable) fsyncSync(this.fd);
    this.items.push(entry);
  }

  /** Forgets every entry after the first `length` (a revert to a snapshot taken there). */
  truncate(length: number): void {
    if (length >= this.items.length) return;
    this.items.length = length;
    this.rewrite();
  }

  /**
   * Drops what replay does not need and merges runs of empty blocks: clock changes are already in
   * the block timestamps and offsets, and one MINE_AT line replaces many evm_mine lines.
   */
  compact(): { before: number; after: number } {
    const before = this.items.length;
    const kept: JournalEntry[] = [];
    for (const entry of this.items) {
      const last = kept.at(-1);
      if (entry.method === 'evm_increaseTime' || entry.method === 'evm_setNextBlockTimestamp') {
        // Keep the offset it set by carrying it on the entry before (or a no-op marker at start).
        if (last) last.clockOffset = entry.clockOffset;
        else kept.push({ method: MINE_AT, params: [], blockTimestamps: [], clockOffset: entry.clockOffset });
        continue;
      }
      const isEmptyMine =
        (entry.method === 'evm_mine' || entry.method === MINE_AT) && entry.blockTimestamps !== null;
      if (isEmptyMine && last?.method === MINE_AT && last.blockTimestamps) {
        last.blockTimestamps.push(...(entry.blockTimestamps ?? []));
        last.clockOffset = entry.clockOffset;
        continue;
      }
      kept.push(
        isEmptyMine
          ? {
              method: MINE_AT,
              params: [],
              blockTimestamps: [...(entry.blockTimestamps ?? [])],
              clockOffset: entry.clockOffset,
            }
          : entry,
      );
    }
    this.items.splice(0, this.items.length, ...kept);
    this.rewrite();
    return { before, after: kept.length };
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private rewrite(): void {
    const header: Header = { version: JOURNAL_VERSION, genesis: this.genesis };
    const text = [header, ...this.items].map((line) => `${JSON.stringify(line)}\n`).join('');
    closeSync(this.fd);
    writeFileDurably(this.path, text);
    this.fd = openSync(this.path, 'a', 0o600);
  }
}
