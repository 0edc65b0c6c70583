// The import pipes' framing (src/main/ifc/frames.ts): messages come back whole and in order however
// the byte stream is cut, and a corrupt length is refused rather than waited on.
import { expect, test } from 'vitest';
import { encodeFrame, FrameReader } from '../../src/main/ifc/frames';

const messages = [
  { type: 'progress', jobId: 'a', stage: 'parsing', percent: 3 },
  {
    type: 'done',
    jobId: 'a',
    report: { counts: new Map([['IfcWall', 13]]), bytes: new Uint8Array([1, 2, 3]) },
  },
  { type: 'import', job: { source: { kind: 'bytes', bytes: new Uint8Array(70_000).fill(7) } } },
];

test('frames cut at every byte, or all in one chunk, give back the same messages in order', () => {
  const stream = Buffer.concat(messages.map(encodeFrame));
  const whole = new FrameReader().push(stream);
  expect(whole).toEqual(messages);

  const reader = new FrameReader();
  const out: unknown[] = [];
  for (let i = 0; i < stream.length; i += 997) out.push(...reader.push(stream.subarray(i, i + 997)));
  expect(out).toEqual(messages);

  const bytewise = new FrameReader();
  const small = Buffer.concat(messages.slice(0, 2).map(encodeFrame));
  const got: unknown[] = [];
  for (let i = 0; i < small.length; i++) got.push(...bytewise.push(small.subarray(i, i + 1)));
  expect(got).toEqual(messages.slice(0, 2));
});

test('a length no message could have is refused as a corrupt stream', () => {
  const corrupt = Buffer.alloc(8);
  corrupt.writeUInt32LE(0xffffffff, 0);
  expect(() => new FrameReader().push(corrupt)).toThrow(/on the import pipe/);
});
