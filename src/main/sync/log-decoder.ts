// Decodes the registry's logs straight from their hex words. ethers' Interface.parseLog costs about
// 300 us a log here, which alone would cap indexing near 3,000 events/s; the registry's events use
// only a few ABI types (words, strings and bytes), so a decoder built from the same ABI fragments
// does it in a few microseconds. Anything it does not know falls back to ethers; tests compare both.
import { getAddress, type EventFragment, type ParamType } from 'ethers';
import { MaintenanceManager__factory, TwinRegistry__factory } from '../chain/generated/types';

export type DecodedArgs = Record<string, string | boolean>;

export interface DecodedLog {
  name: string;
  args: DecodedArgs;
}

type WordReader = (word: string) => string | boolean;

const registryInterface = TwinRegistry__factory.createInterface();
/**
 * Contracts beside the registry whose events the index keeps (the indexer reads every contract of
 * the deployment manifest). Their event names never clash with the registry's; events both declare
 * (IntentExecuted...) have the same signature and decode the same.
 */
const moduleInterfaces = [MaintenanceManager__factory.createInterface()];

/** Checksummed addresses, cached: a chain's logs name the same few accounts over and over. */
const checksums = new Map<string, string>();
function address(word: string): string {
  const raw = `0x${word.slice(24)}`;
  let sum = checksums.get(raw);
  if (sum === undefined) {
    sum = getAddress(raw);
    if (checksums.size > 100_000) checksums.clear();
    checksums.set(raw, sum);
  }
  return sum;
}

/** A reader for one static ABI type held in a 32-byte word (as 64 hex characters). */
function wordReader(param: ParamType): WordReader | null {
  const type = param.type;
  if (type === 'address') return address;
  if (type === 'bool') return (word) => BigInt(`0x${word}`) !== 0n;
  if (type === 'bytes32') return (word) => `0x${word}`;
  if (/^uint\d+$/.test(type)) return (word) => BigInt(`0x${word}`).toString();
  if (/^int\d+$/.test(type)) return (word) => BigInt.asIntN(256, BigInt(`0x${word}`)).toString();
  return null;
}

interface EventDecoder {
  name: string;
  indexed: { name: string; read: WordReader }[];
  /** Non-indexed parameters in data order: a word reader, or 'string' / 'bytes' (dynamic). */
  data: { name: string; read: WordReader | 'string' | 'bytes' }[];
  /** Argument names in declaration order (the order the ABI and ethers give them). */
  order: string[];
}

function decoderFor(fragment: EventFragment): EventDecoder | null {
  const indexed: EventDecoder['indexed'] = [];
  const data: EventDecoder['data'] = [];
  for (const input of fragment.inputs) {
    if (input.indexed) {
      const read = wordReader(input);
      if (!read) return null; // indexed dynamic values are hashes: leave those to ethers
      indexed.push({ name: input.name, read });
    } else if (input.type === 'string' || input.type === 'bytes') {
      data.push({ name: input.name, read: input.type });
    } else {
      const read = wordReader(input);
      if (!read) return null;
      data.push({ name: input.name, read });
    }
  }
  return { name: fragment.name, indexed, data, order: fragment.inputs.map((i) => i.name) };
}

const decoders = new Map<string, EventDecoder | null>();
for (const contract of [registryInterface, ...moduleInterfaces]) {
  contract.forEachEvent((fragment) => {
    if (!fragment.anonymous && !decoders.has(fragment.topicHash))
      decoders.set(fragment.topicHash, decoderFor(fragment));
  });
}

/** The registry event of a log, with arguments in the index's form; null for an unknown log. */
export function decodeRegistryEvent(topics: readonly string[], data: string): DecodedLog | null {
  const topic0 = topics[0]?.toLowerCase();
  if (topic0 === undefined || !decoders.has(topic0)) return null;
  const decoder = decoders.get(topic0);
  if (!decoder) return decodeWithEthers(topics, data);
  if (topics.length !== decoder.indexed.length + 1) return null;
  const values: DecodedArgs = {};
  decoder.indexed.forEach((param, i) => {
    values[param.name] = param.read(topics[i + 1]!.slice(2).toLowerCase().padStart(64, '0'));
  });
  const hex = data.startsWith('0x') ? data.slice(2).toLowerCase() : data.toLowerCase();
  const word = (index: number): string => {
    const w = hex.slice(index * 64, index * 64 + 64);
    if (w.length !== 64) throw new RangeError('log data too short');
    return w;
  };
  try {
    decoder.data.forEach((param, i) => {
      if (typeof param.read === 'function') {
        values[param.name] = param.read(word(i));
        return;
      }
      const offset = Number(BigInt(`0x${word(i)}`)) * 2;
      const length = Number(BigInt(`0x${hex.slice(offset, offset + 64)}`)) * 2;
      const bytes = hex.slice(offset + 64, offset + 64 + length);
      if (bytes.length !== length) throw new RangeError('log data too short');
      values[param.name] = param.read === 'bytes' ? `0x${bytes}` : Buffer.from(bytes, 'hex').toString('utf8');
    });
  } catch {
    return decodeWithEthers(topics, data);
  }
  const args: DecodedArgs = {};
  for (const name of decoder.order) args[name] = values[name]!;
  return { name: decoder.name, args };
}

/** The same decoding done by ethers (the reference for tests, and the fallback). */
export function decodeWithEthers(topics: readonly string[], data: string): DecodedLog | null {
  let parsed = null;
  for (const contract of [registryInterface, ...moduleInterfaces]) {
    try {
      parsed = contract.parseLog({ topics: [...topics], data });
    } catch {
      parsed = null;
    }
    if (parsed) break;
  }
  if (!parsed) return null;
  const args: DecodedArgs = {};
  parsed.fragment.inputs.forEach((input, i) => {
    const value: unknown = parsed.args[i];
    args[input.name] = typeof value === 'boolean' ? value : typeof value === 'string' ? value : String(value);
  });
  return { name: parsed.name, args };
}
