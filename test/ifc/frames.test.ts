// The import pipes' framing (src/main/ifc/frames.ts): messages come back whole and in order however
// the byte stream is cut, and a corrupt length is refused rather than waited on.
import { expect, test, vi } from 'vitest';
import { encodeFrame, FrameReader, frameWithRaw } from '../../src/main/ifc/frames';

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

test('a large message in pipe-sized chunks is joined once, when it is whole (not chunk by chunk)', () => {
  // As a file the import dialog sends comes: 64 KiB a read, the next message begun in the last.
  const big = { type: 'import', job: { source: { kind: 'bytes', bytes: new Uint8Array(1 << 20).fill(9) } } };
  const stream = Buffer.concat([encodeFrame(big), encodeFrame(messages[0])]);
  const cut = stream.length - 10;
  const reader = new FrameReader();
  const concat = vi.spyOn(Buffer, 'concat');
  const out: unknown[] = [];
  try {
    for (let i = 0; i < cut; i += 65536)
      out.push(...reader.push(stream.subarray(i, Math.min(i + 65536, cut))));
    expect(out).toEqual([big]);
    // 17 chunks: one join for the message (chunk by chunk it was 16).
    expect(concat.mock.calls.length).toBeLessThanOrEqual(2);
    out.push(...reader.push(stream.subarray(cut)));
  } finally {
    concat.mockRestore();
  }
  expect(out).toEqual([big, messages[0]]);
});

test('a raw part (a file sent as bytes) is written from its own memory and read back as the message’s raw member', () => {
  const file = Buffer.alloc(200_000);
  for (let i = 0; i < file.length; i++) file[i] = (i * 31) & 0xff;
  const view = new Uint8Array(file.buffer, file.byteOffset + 16, 150_000); // a view, as IPC hands bytes over
  const job = { type: 'import', job: { jobId: 'j', source: { kind: 'bytes', fileName: 'a.ifc' } } };
  const parts = frameWithRaw(job, view);
  // Not copied on the writer's side: the second part is the caller's memory.
  expect(parts[1]!.buffer).toBe(file.buffer);
  expect(parts[1]!.byteOffset).toBe(view.byteOffset);
  const stream = Buffer.concat([
    ...parts,
    encodeFrame(messages[0]),
    ...frameWithRaw({ type: 'x' }, new Uint8Array([5])),
  ]);
  for (const size of [stream.length, 65_536, 997]) {
    const reader = new FrameReader();
    const out: unknown[] = [];
    for (let i = 0; i < stream.length; i += size) out.push(...reader.push(stream.subarray(i, i + size)));
    expect(out).toHaveLength(3);
    const [first, second, third] = out as [{ raw: Uint8Array }, unknown, { raw: Uint8Array }];
    expect(Buffer.from(first.raw).equals(Buffer.from(view))).toBe(true);
    expect({ ...first, raw: undefined }).toEqual({ ...job, raw: undefined });
    expect(second).toEqual(messages[0]);
    expect([...third.raw]).toEqual([5]);
  }
});
