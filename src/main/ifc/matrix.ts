// Column-major 4x4 matrices, as IFC placements and web-ifc transforms are written.
export type Matrix = number[];

export const identity = (): Matrix => [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

export function multiply(a: Matrix, b: Matrix): Matrix {
  const out = new Array<number>(16);
  for (let col = 0; col < 4; col++) {
    for (let row = 0; row < 4; row++) {
      out[col * 4 + row] =
        a[row]! * b[col * 4]! +
        a[4 + row]! * b[col * 4 + 1]! +
        a[8 + row]! * b[col * 4 + 2]! +
        a[12 + row]! * b[col * 4 + 3]!;
    }
  }
  return out;
}

/** Inverse of an affine transform (last row 0 0 0 1); the identity if its linear part is singular. */
export function invertAffine(m: Matrix): Matrix {
  return invertAffineOrNull(m) ?? identity();
}

/** Inverse of an affine transform (last row 0 0 0 1; the linear part may include scale), or null if singular. */
export function invertAffineOrNull(m: Matrix): Matrix | null {
  const [a, b, c, , d, e, f, , g, h, i, , tx, ty, tz] = m as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const A = e * i - f * h;
  const B = -(b * i - c * h);
  const C = b * f - c * e;
  const det = a * A + d * B + g * C;
  if (!(Math.abs(det) >= 1e-18)) return null;
  const inv = 1 / det;
  // inverse of the 3x3 linear part, column-major
  const r = [
    A * inv,
    B * inv,
    C * inv,
    -(d * i - g * f) * inv,
    (a * i - g * c) * inv,
    -(a * f - d * c) * inv,
    (d * h - g * e) * inv,
    -(a * h - g * b) * inv,
    (a * e - d * b) * inv,
  ] as [number, number, number, number, number, number, number, number, number];
  return [
    r[0],
    r[1],
    r[2],
    0,
    r[3],
    r[4],
    r[5],
    0,
    r[6],
    r[7],
    r[8],
    0,
    -(r[0] * tx + r[3] * ty + r[6] * tz),
    -(r[1] * tx + r[4] * ty + r[7] * tz),
    -(r[2] * tx + r[5] * ty + r[8] * tz),
    1,
  ];
}
