// A version's Merkle tree, exactly OpenZeppelin's StandardMerkleTree.of(leaves, ['bytes32','bytes32'])
// (leaf = keccak256(keccak256(abi.encode(elementKey, stateHash))), leaves sorted by hash, pairs
// hashed in sorted order, the same flat array layout), built directly on bytes: the library's own
// builder spends ~200 ms on 1,400 leaves in ABI encoding and hex conversions. Keccak-256 comes from
// hash-wasm (neither Node's OpenSSL nor Electron's BoringSSL has it): one reusable WebAssembly
// hasher on bytes, ~1 us a hash here, where ethers' keccak256 (hex in, hex out) costs ~10 us.
// test/ifc/fingerprint.test.ts checks roots and proofs against the library on real versions.

import { createKeccak } from 'hash-wasm';

const keccak = await createKeccak(256);

/** Keccak-256 (Ethereum's, not SHA3-256) of `input`, written to `out` at `offset`. */
export function keccak256Into(input: Uint8Array, out: Uint8Array, offset = 0): void {
  keccak.init();
  keccak.update(input);
  out.set(keccak.digest('binary'), offset);
}

export interface VersionTree {
  root: string;
  /** 32 bytes per node, in OpenZeppelin's array order (root at 0, leaves at the end). */
  nodes: Uint8Array;
  /** Node index of each element key's leaf. */
  leafIndex: Map<string, number>;
}

const hash = (bytes: Uint8Array): Buffer => {
  const out = Buffer.allocUnsafe(32);
  keccak256Into(bytes, out);
  return out;
};
const fromHex = (hex: string): Buffer => Buffer.from(hex.startsWith('0x') ? hex.slice(2) : hex, 'hex');

/** keccak256(keccak256(abi.encode(bytes32 elementKey, bytes32 stateHash))) */
export function leafHash(elementKey: string, stateHash: string): Buffer {
  return leafHashOfBytes(fromHex(elementKey), fromHex(stateHash));
}

/** leafHash of the two values as their 32 bytes each. */
export function leafHashOfBytes(elementKey: Uint8Array, stateHash: Uint8Array): Buffer {
  if (elementKey.length !== 32 || stateHash.length !== 32)
    throw new Error('Leaf values must be 32 bytes (64 hex digits) each.');
  const pair = Buffer.allocUnsafe(64);
  pair.set(elementKey, 0);
  pair.set(stateHash, 32);
  return hash(hash(pair));
}

const nodeHash = (a: Buffer, b: Buffer): Buffer =>
  hash(Buffer.compare(a, b) <= 0 ? Buffer.concat([a, b]) : Buffer.concat([b, a]));

/**
 * `leaves` are [elementKey, stateHash], or with their leafHash already computed as a third member
 * (the importer hashes each element's leaf as it is fingerprinted, while meshes are still read).
 */
export function buildVersionTree(leaves: readonly (readonly [string, string, Buffer?])[]): VersionTree {
  if (leaves.length === 0) throw new Error('A version needs at least one element to have a Merkle root.');
  const hashed = leaves.map(([key, state, hash]) => ({ key, hash: hash ?? leafHash(key, state) }));
  hashed.sort((a, b) => Buffer.compare(a.hash, b.hash));
  const count = 2 * hashed.length - 1;
  const tree = new Array<Buffer>(count);
  const leafIndex = new Map<string, number>();
  hashed.forEach((leaf, i) => {
    tree[count - 1 - i] = leaf.hash;
    leafIndex.set(leaf.key, count - 1 - i);
  });
  for (let i = count - 1 - hashed.length; i >= 0; i--) tree[i] = nodeHash(tree[2 * i + 1]!, tree[2 * i + 2]!);
  const nodes = new Uint8Array(count * 32);
  tree.forEach((node, i) => nodes.set(node, i * 32));
  return { root: `0x${tree[0]!.toString('hex')}`, nodes, leafIndex };
}

/** The sibling path from a leaf to the root, as MerkleProof.verify expects it. */
export function proofFromNodes(nodes: Uint8Array, leafIndex: number): string[] {
  const count = nodes.byteLength / 32;
  if (!Number.isInteger(leafIndex) || leafIndex < 0 || leafIndex >= count) {
    throw new Error(`Leaf index ${leafIndex} is outside a tree of ${count} nodes.`);
  }
  const proof: string[] = [];
  let index = leafIndex;
  while (index > 0) {
    const sibling = index % 2 === 1 ? index + 1 : index - 1;
    proof.push(`0x${Buffer.from(nodes.subarray(sibling * 32, sibling * 32 + 32)).toString('hex')}`);
    index = Math.floor((index - 1) / 2);
  }
  return proof;
}

export function rootFromNodes(nodes: Uint8Array): string {
  return `0x${Buffer.from(nodes.subarray(0, 32)).toString('hex')}`;
}
