// The fingerprint building blocks on their own: RFC 8785 canonical JSON (against the canonicalize
// package), the Merkle tree (against OpenZeppelin's StandardMerkleTree), keys and placement maths.
import canonicalize from 'canonicalize';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { keccak256, toUtf8Bytes } from 'ethers';
import { describe, expect, test } from 'vitest';
import { canonicalJson, roundTo, type CanonicalValue } from '../../src/shared/canonical';
import {
  COLOR_DECIMALS,
  MERKLE_LEAF_ENCODING,
  Y_UP,
  elementGeometryHashOf,
  elementKeyOf,
  geometryHashOf,
  roundBody,
  roundPlacement,
  verifyElementProof,
} from '../../src/shared/fingerprint';
import { readModel } from '../../src/main/ifc/reader';
import { startWebIfc } from '../../src/main/ifc/webifc';
import { boxIfc } from './helpers';
import { buildVersionTree, proofFromNodes, rootFromNodes } from '../../src/main/ifc/merkle';
import { invertAffine, multiply } from '../../src/main/ifc/matrix';

describe('canonical JSON', () => {
  const samples: CanonicalValue[] = [
    { b: 1, a: [3, 2, { z: null, y: 'é\u2028"\\' }], c: { '\u00e9': true, e: false, E: 1e21, d: 1e-7 } },
    [0.1 + 0.2, -0, 123456789012345680000, 5e-324, 'a\u0000b', { '10': 1, '9': 2, a10: 3, a9: 4 }],
    // A literal past 2^53 on purpose: it must serialise as the double it becomes, like canonicalize.
    // eslint-disable-next-line no-loss-of-precision
    { emoji: '😀', nested: [[[]], {}], big: 9007199254740993 },
  ];
  test.each(samples.map((s) => [s]))('matches the canonicalize package byte for byte: %j', (value) => {
    expect(canonicalJson(value)).toBe(canonicalize(value));
    const memo = new WeakMap<object, string>();
    expect(canonicalJson(value, memo)).toBe(canonicalize(value));
    expect(canonicalJson(value, memo)).toBe(canonicalize(value));
  });

  test('refuses NaN and infinities; leaves out undefined members', () => {
    expect(() => canonicalJson(NaN)).toThrow();
    expect(() => canonicalJson({ a: Infinity })).toThrow();
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });

  test('rounding removes noise below the tolerance and negative zero', () => {
    expect(roundTo(1.0000000001, 6)).toBe(1);
    expect(roundTo(-0.0000001, 6)).toBe(0);
    expect(Object.is(roundTo(-0.0000001, 6), 0)).toBe(true);
    expect(roundTo(2.5e-6, 6)).toBe(0.000003);
  });
});

describe('element keys', () => {
  test('are keccak256 of the GlobalId as written', () => {
    expect(elementKeyOf('1hOSvn6df7F8_7GcBWlRH8')).toBe(keccak256(toUtf8Bytes('1hOSvn6df7F8_7GcBWlRH8')));
  });
});

describe('version Merkle tree', () => {
  const leaves = (n: number) =>
    Array.from(
      { length: n },
      (_, i) => [elementKeyOf(`g${i}`), keccak256(toUtf8Bytes(`state ${i}`))] as [string, string],
    );

  test.each([1, 2, 3, 7, 64, 301])(
    '%i leaves: same root and proofs as OpenZeppelin StandardMerkleTree',
    (n) => {
      const values = leaves(n);
      const ours = buildVersionTree(values);
      const reference = StandardMerkleTree.of(values, [...MERKLE_LEAF_ENCODING]);
      expect(ours.root).toBe(reference.root);
      expect(rootFromNodes(ours.nodes)).toBe(reference.root);
      const dump = reference.dump();
      for (const [i, value] of values.entries()) {
        const index = ours.leafIndex.get(value[0])!;
        expect(index).toBe(dump.values.find((v) => v.value[0] === value[0])!.treeIndex);
        const proof = proofFromNodes(ours.nodes, index);
        expect(proof).toEqual(reference.getProof(i));
        expect(verifyElementProof(ours.root, value[0], value[1], proof)).toBe(true);
      }
    },
  );

  test('refuses an empty version', () => {
    expect(() => buildVersionTree([])).toThrow(/at least one element/);
  });
});

describe('placement maths', () => {
  test('an affine inverse undoes the transform', () => {
    const m = [0, 1, 0, 0, -1, 0, 0, 0, 0, 0, 2, 0, 5, -3, 1.5, 1];
    const product = multiply(invertAffine(m), m);
    const identity = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    product.forEach((v, i) => expect(v).toBeCloseTo(identity[i]!, 12));
  });
});

describe('element geometry (state format 2)', () => {
  test('what the reader stores is the documented formula: the meshes’ hash with the body relative to the placement', async () => {
    const api = await startWebIfc();
    // A box placed at (1.5, 2, 0.25), turned about Z, its body 0.75 m along its own x.
    const text = boxIfc('1.5,2.,0.25', '0.75,0.,0.', '#34,#35').replace(
      '#34=IFCDIRECTION((0.,0.,1.));',
      '#34=IFCDIRECTION((0.,0.,1.));\n#35=IFCDIRECTION((0.6,0.8,0.));',
    );
    const model = api.OpenModel(new TextEncoder().encode(text));
    try {
      const read = readModel(api, model, { progress: () => {}, checkpoint: () => {} }).complete();
      const box = read.elements.find((e) => e.state.ifcClass === 'IfcBuildingElementProxy')!;
      const world = api.GetWorldTransformMatrix(model, 31); // #31, its IfcLocalPlacement (metres)
      const body = roundBody(multiply(invertAffine(multiply([...Y_UP], world)), box.meshes[0]!.matrix));
      // In the box's own axes: 0.75 m along x, and web-ifc's mesh origin half-way up the extrusion.
      expect(body.slice(12, 15)).toEqual([0.75, 0, 0.5]);
      const meshes = geometryHashOf(
        box.meshes.map((m, _, all) => ({
          color: m.color.map((c) => roundTo(c, COLOR_DECIMALS)),
          mesh: m.geometryHash,
          relative: roundPlacement(multiply(invertAffine(all[0]!.matrix), m.matrix)),
        })),
      );
      expect(box.state.geometry).toBe(elementGeometryHashOf(meshes, body));
    } finally {
      api.CloseModel(model);
    }
  });
});
