// A version's Merkle tree, exactly OpenZeppelin's StandardMerkleTree.of(leaves, ['bytes32','bytes32'])
// (leaf = keccak256(keccak256(abi.encode(elementKey, stateHash))), leaves sorted by hash, pairs
// hashed in sorted order, the same flat array layout), built directly on bytes: the library's own
// builder spends ~200 ms on 1,400 leaves in ABI encoding and hex conversions. Keccak-256 here is
// this file's own (neither Node's OpenSSL nor Electron's BoringSSL has it), working on bytes in
// place: ethers' keccak256 (hex in, hex out, a new hasher per call) cost ~10 us a hash.
// test/ifc/fingerprint.test.ts checks roots and proofs against the library on real versions.

// Keccak-f[1600] round constants, as (low, high) 32-bit halves.
const RC = new Int32Array([
  0x00000001, 0x00000000, 0x00008082, 0x00000000, 0x0000808a, 0x80000000, 0x80008000, 0x80000000, 0x0000808b,
  0x00000000, 0x80000001, 0x00000000, 0x80008081, 0x80000000, 0x00008009, 0x80000000, 0x0000008a, 0x00000000,
  0x00000088, 0x00000000, 0x80008009, 0x00000000, 0x8000000a, 0x00000000, 0x8000808b, 0x00000000, 0x0000008b,
  0x80000000, 0x00008089, 0x80000000, 0x00008003, 0x80000000, 0x00008002, 0x80000000, 0x00000080, 0x80000000,
  0x0000800a, 0x00000000, 0x8000000a, 0x80000000, 0x80008081, 0x80000000, 0x00008080, 0x80000000, 0x80000001,
  0x00000000, 0x80008008, 0x80000000,
]);
const state = new Int32Array(50);
const block = new Uint8Array(136);
const blockWords = new Int32Array(block.buffer);
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// Fully unrolled (generated): lanes as (low, high) 32-bit halves in locals, a0..a49.
function permute(s: Int32Array): void {
  let a0 = s[0]!;
  let a1 = s[1]!;
  let a2 = s[2]!;
  let a3 = s[3]!;
  let a4 = s[4]!;
  let a5 = s[5]!;
  let a6 = s[6]!;
  let a7 = s[7]!;
  let a8 = s[8]!;
  let a9 = s[9]!;
  let a10 = s[10]!;
  let a11 = s[11]!;
  let a12 = s[12]!;
  let a13 = s[13]!;
  let a14 = s[14]!;
  let a15 = s[15]!;
  let a16 = s[16]!;
  let a17 = s[17]!;
  let a18 = s[18]!;
  let a19 = s[19]!;
  let a20 = s[20]!;
  let a21 = s[21]!;
  let a22 = s[22]!;
  let a23 = s[23]!;
  let a24 = s[24]!;
  let a25 = s[25]!;
  let a26 = s[26]!;
  let a27 = s[27]!;
  let a28 = s[28]!;
  let a29 = s[29]!;
  let a30 = s[30]!;
  let a31 = s[31]!;
  let a32 = s[32]!;
  let a33 = s[33]!;
  let a34 = s[34]!;
  let a35 = s[35]!;
  let a36 = s[36]!;
  let a37 = s[37]!;
  let a38 = s[38]!;
  let a39 = s[39]!;
  let a40 = s[40]!;
  let a41 = s[41]!;
  let a42 = s[42]!;
  let a43 = s[43]!;
  let a44 = s[44]!;
  let a45 = s[45]!;
  let a46 = s[46]!;
  let a47 = s[47]!;
  let a48 = s[48]!;
  let a49 = s[49]!;
  for (let round = 0; round < 48; round += 2) {
    const c0 = a0 ^ a10 ^ a20 ^ a30 ^ a40;
    const c1 = a1 ^ a11 ^ a21 ^ a31 ^ a41;
    const c2 = a2 ^ a12 ^ a22 ^ a32 ^ a42;
    const c3 = a3 ^ a13 ^ a23 ^ a33 ^ a43;
    const c4 = a4 ^ a14 ^ a24 ^ a34 ^ a44;
    const c5 = a5 ^ a15 ^ a25 ^ a35 ^ a45;
    const c6 = a6 ^ a16 ^ a26 ^ a36 ^ a46;
    const c7 = a7 ^ a17 ^ a27 ^ a37 ^ a47;
    const c8 = a8 ^ a18 ^ a28 ^ a38 ^ a48;
    const c9 = a9 ^ a19 ^ a29 ^ a39 ^ a49;
    const d0 = c8 ^ ((c2 << 1) | (c3 >>> 31));
    const d1 = c9 ^ ((c3 << 1) | (c2 >>> 31));
    const d2 = c0 ^ ((c4 << 1) | (c5 >>> 31));
    const d3 = c1 ^ ((c5 << 1) | (c4 >>> 31));
    const d4 = c2 ^ ((c6 << 1) | (c7 >>> 31));
    const d5 = c3 ^ ((c7 << 1) | (c6 >>> 31));
    const d6 = c4 ^ ((c8 << 1) | (c9 >>> 31));
    const d7 = c5 ^ ((c9 << 1) | (c8 >>> 31));
    const d8 = c6 ^ ((c0 << 1) | (c1 >>> 31));
    const d9 = c7 ^ ((c1 << 1) | (c0 >>> 31));
    a0 ^= d0;
    a1 ^= d1;
    a2 ^= d2;
    a3 ^= d3;
    a4 ^= d4;
    a5 ^= d5;
    a6 ^= d6;
    a7 ^= d7;
    a8 ^= d8;
    a9 ^= d9;
    a10 ^= d0;
    a11 ^= d1;
    a12 ^= d2;
    a13 ^= d3;
    a14 ^= d4;
    a15 ^= d5;
    a16 ^= d6;
    a17 ^= d7;
    a18 ^= d8;
    a19 ^= d9;
    a20 ^= d0;
    a21 ^= d1;
    a22 ^= d2;
    a23 ^= d3;
    a24 ^= d4;
    a25 ^= d5;
    a26 ^= d6;
    a27 ^= d7;
    a28 ^= d8;
    a29 ^= d9;
    a30 ^= d0;
    a31 ^= d1;
    a32 ^= d2;
    a33 ^= d3;
    a34 ^= d4;
    a35 ^= d5;
    a36 ^= d6;
    a37 ^= d7;
    a38 ^= d8;
    a39 ^= d9;
    a40 ^= d0;
    a41 ^= d1;
    a42 ^= d2;
    a43 ^= d3;
    a44 ^= d4;
    a45 ^= d5;
    a46 ^= d6;
    a47 ^= d7;
    a48 ^= d8;
    a49 ^= d9;
    const b0 = a0;
    const b1 = a1;
    const b20 = (a2 << 1) | (a3 >>> 31);
    const b21 = (a3 << 1) | (a2 >>> 31);
    const b40 = (a5 << 30) | (a4 >>> 2);
    const b41 = (a4 << 30) | (a5 >>> 2);
    const b10 = (a6 << 28) | (a7 >>> 4);
    const b11 = (a7 << 28) | (a6 >>> 4);
    const b30 = (a8 << 27) | (a9 >>> 5);
    const b31 = (a9 << 27) | (a8 >>> 5);
    const b32 = (a11 << 4) | (a10 >>> 28);
    const b33 = (a10 << 4) | (a11 >>> 28);
    const b2 = (a13 << 12) | (a12 >>> 20);
    const b3 = (a12 << 12) | (a13 >>> 20);
    const b22 = (a14 << 6) | (a15 >>> 26);
    const b23 = (a15 << 6) | (a14 >>> 26);
    const b42 = (a17 << 23) | (a16 >>> 9);
    const b43 = (a16 << 23) | (a17 >>> 9);
    const b12 = (a18 << 20) | (a19 >>> 12);
    const b13 = (a19 << 20) | (a18 >>> 12);
    const b14 = (a20 << 3) | (a21 >>> 29);
    const b15 = (a21 << 3) | (a20 >>> 29);
    const b34 = (a22 << 10) | (a23 >>> 22);
    const b35 = (a23 << 10) | (a22 >>> 22);
    const b4 = (a25 << 11) | (a24 >>> 21);
    const b5 = (a24 << 11) | (a25 >>> 21);
    const b24 = (a26 << 25) | (a27 >>> 7);
    const b25 = (a27 << 25) | (a26 >>> 7);
    const b44 = (a29 << 7) | (a28 >>> 25);
    const b45 = (a28 << 7) | (a29 >>> 25);
    const b46 = (a31 << 9) | (a30 >>> 23);
    const b47 = (a30 << 9) | (a31 >>> 23);
    const b16 = (a33 << 13) | (a32 >>> 19);
    const b17 = (a32 << 13) | (a33 >>> 19);
    const b36 = (a34 << 15) | (a35 >>> 17);
    const b37 = (a35 << 15) | (a34 >>> 17);
    const b6 = (a36 << 21) | (a37 >>> 11);
    const b7 = (a37 << 21) | (a36 >>> 11);
    const b26 = (a38 << 8) | (a39 >>> 24);
    const b27 = (a39 << 8) | (a38 >>> 24);
    const b28 = (a40 << 18) | (a41 >>> 14);
    const b29 = (a41 << 18) | (a40 >>> 14);
    const b48 = (a42 << 2) | (a43 >>> 30);
    const b49 = (a43 << 2) | (a42 >>> 30);
    const b18 = (a45 << 29) | (a44 >>> 3);
    const b19 = (a44 << 29) | (a45 >>> 3);
    const b38 = (a47 << 24) | (a46 >>> 8);
    const b39 = (a46 << 24) | (a47 >>> 8);
    const b8 = (a48 << 14) | (a49 >>> 18);
    const b9 = (a49 << 14) | (a48 >>> 18);
    a0 = b0 ^ (~b2 & b4);
    a1 = b1 ^ (~b3 & b5);
    a2 = b2 ^ (~b4 & b6);
    a3 = b3 ^ (~b5 & b7);
    a4 = b4 ^ (~b6 & b8);
    a5 = b5 ^ (~b7 & b9);
    a6 = b6 ^ (~b8 & b0);
    a7 = b7 ^ (~b9 & b1);
    a8 = b8 ^ (~b0 & b2);
    a9 = b9 ^ (~b1 & b3);
    a10 = b10 ^ (~b12 & b14);
    a11 = b11 ^ (~b13 & b15);
    a12 = b12 ^ (~b14 & b16);
    a13 = b13 ^ (~b15 & b17);
    a14 = b14 ^ (~b16 & b18);
    a15 = b15 ^ (~b17 & b19);
    a16 = b16 ^ (~b18 & b10);
    a17 = b17 ^ (~b19 & b11);
    a18 = b18 ^ (~b10 & b12);
    a19 = b19 ^ (~b11 & b13);
    a20 = b20 ^ (~b22 & b24);
    a21 = b21 ^ (~b23 & b25);
    a22 = b22 ^ (~b24 & b26);
    a23 = b23 ^ (~b25 & b27);
    a24 = b24 ^ (~b26 & b28);
    a25 = b25 ^ (~b27 & b29);
    a26 = b26 ^ (~b28 & b20);
    a27 = b27 ^ (~b29 & b21);
    a28 = b28 ^ (~b20 & b22);
    a29 = b29 ^ (~b21 & b23);
    a30 = b30 ^ (~b32 & b34);
    a31 = b31 ^ (~b33 & b35);
    a32 = b32 ^ (~b34 & b36);
    a33 = b33 ^ (~b35 & b37);
    a34 = b34 ^ (~b36 & b38);
    a35 = b35 ^ (~b37 & b39);
    a36 = b36 ^ (~b38 & b30);
    a37 = b37 ^ (~b39 & b31);
    a38 = b38 ^ (~b30 & b32);
    a39 = b39 ^ (~b31 & b33);
    a40 = b40 ^ (~b42 & b44);
    a41 = b41 ^ (~b43 & b45);
    a42 = b42 ^ (~b44 & b46);
    a43 = b43 ^ (~b45 & b47);
    a44 = b44 ^ (~b46 & b48);
    a45 = b45 ^ (~b47 & b49);
    a46 = b46 ^ (~b48 & b40);
    a47 = b47 ^ (~b49 & b41);
    a48 = b48 ^ (~b40 & b42);
    a49 = b49 ^ (~b41 & b43);
    a0 ^= RC[round]!;
    a1 ^= RC[round + 1]!;
  }
  s[0] = a0;
  s[1] = a1;
  s[2] = a2;
  s[3] = a3;
  s[4] = a4;
  s[5] = a5;
  s[6] = a6;
  s[7] = a7;
  s[8] = a8;
  s[9] = a9;
  s[10] = a10;
  s[11] = a11;
  s[12] = a12;
  s[13] = a13;
  s[14] = a14;
  s[15] = a15;
  s[16] = a16;
  s[17] = a17;
  s[18] = a18;
  s[19] = a19;
  s[20] = a20;
  s[21] = a21;
  s[22] = a22;
  s[23] = a23;
  s[24] = a24;
  s[25] = a25;
  s[26] = a26;
  s[27] = a27;
  s[28] = a28;
  s[29] = a29;
  s[30] = a30;
  s[31] = a31;
  s[32] = a32;
  s[33] = a33;
  s[34] = a34;
  s[35] = a35;
  s[36] = a36;
  s[37] = a37;
  s[38] = a38;
  s[39] = a39;
  s[40] = a40;
  s[41] = a41;
  s[42] = a42;
  s[43] = a43;
  s[44] = a44;
  s[45] = a45;
  s[46] = a46;
  s[47] = a47;
  s[48] = a48;
  s[49] = a49;
}

/** Keccak-256 (Ethereum's, not SHA3-256) of `input`, written to `out` at `offset`. */
export function keccak256Into(input: Uint8Array, out: Uint8Array, offset = 0): void {
  const s = state;
  s.fill(0);
  let at = 0;
  for (;;) {
    const take = Math.min(136, input.byteLength - at);
    const last = take < 136;
    block.fill(0);
    block.set(input.subarray(at, at + take));
    if (last) {
      block[take]! ^= 0x01;
      block[135]! ^= 0x80;
    }
    if (littleEndian) {
      for (let i = 0; i < 34; i++) s[i] = s[i]! ^ blockWords[i]!;
    } else {
      for (let i = 0; i < 34; i++)
        s[i] =
          (s[i]! ^ block[4 * i]!) |
          (block[4 * i + 1]! << 8) |
          (block[4 * i + 2]! << 16) |
          (block[4 * i + 3]! << 24);
    }
    permute(s);
    at += take;
    if (last) break;
  }
  for (let i = 0; i < 8; i++) {
    const w = s[i]!;
    out[offset + 4 * i] = w & 0xff;
    out[offset + 4 * i + 1] = (w >>> 8) & 0xff;
    out[offset + 4 * i + 2] = (w >>> 16) & 0xff;
    out[offset + 4 * i + 3] = (w >>> 24) & 0xff;
  }
}

/** Keccak-256 of bytes (or of a string's UTF-8), as 0x-prefixed lower-case hex, as ethers writes it. */
export function keccak256Hex(input: Uint8Array | string): string {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const out = Buffer.allocUnsafe(32);
  keccak256Into(bytes, out);
  return `0x${out.toString('hex')}`;
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
  const key = fromHex(elementKey);
  const state = fromHex(stateHash);
  if (key.length !== 32 || state.length !== 32) throw new Error('Leaf values must be 32-byte hex strings.');
  return hash(hash(Buffer.concat([key, state])));
}

const nodeHash = (a: Buffer, b: Buffer): Buffer =>
  hash(Buffer.compare(a, b) <= 0 ? Buffer.concat([a, b]) : Buffer.concat([b, a]));

export function buildVersionTree(leaves: readonly (readonly [string, string])[]): VersionTree {
  if (leaves.length === 0) throw new Error('A version needs at least one element to have a Merkle root.');
  const hashed = leaves.map(([key, state]) => ({ key, hash: leafHash(key, state) }));
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
