// Messages on a byte pipe between main and the import thread: each one v8-serialised (the same
// structured-clone encoding as the IPC channel's 'advanced' serialisation) after its length, a
// 32-bit little-endian byte count. Jobs and their results travel this way, straight between main
// and the thread that runs them, instead of through the import process's own thread.
import { writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { deserialize, serialize } from 'node:v8';

/**
 * The import process's argument that says main opened the pipes (fd 4: jobs in, fd 5: results out,
 * fd 6: path jobs' files in, for the geometry worker).
 */
export const IMPORT_PIPES_ARG = '--import-pipes';
export const JOBS_FD = 4;
export const RESULTS_FD = 5;
export const GEOMETRY_FD = 6;

/** Largest message accepted from a pipe: a longer length is a corrupt stream, not a message. */
const MAX_FRAME_BYTES = 1024 * 1024 * 1024;

export function encodeFrame(message: unknown): Buffer {
  const body = serialize(message);
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32LE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

/**
 * Writes messages, a frame each, to a pipe in one write from a thread whose event loop is busy
 * (the write completes here).
 */
export function writeFramesSync(fd: number, messages: readonly unknown[]): void {
  const frame = messages.length === 1 ? encodeFrame(messages[0]) : Buffer.concat(messages.map(encodeFrame));
  let offset = 0;
  let pause: Int32Array | null = null;
  while (offset < frame.length) {
    try {
      offset += writeSync(fd, frame, offset, frame.length - offset);
    } catch (error) {
      // A non-blocking pipe whose reader is behind: wait for it to drain a little.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      pause ??= new Int32Array(new SharedArrayBuffer(4));
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

/** Splits a byte stream back into messages. */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);

  /** The messages completed by `chunk`, in order; throws on a corrupt stream. */
  push(chunk: Buffer): unknown[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: unknown[] = [];
    let offset = 0;
    while (this.buffer.length - offset >= 4) {
      const length = this.buffer.readUInt32LE(offset);
      if (length > MAX_FRAME_BYTES) throw new Error(`A message of ${length} bytes on the import pipe.`);
      if (this.buffer.length - offset - 4 < length) break;
      out.push(deserialize(this.buffer.subarray(offset + 4, offset + 4 + length)));
      offset += 4 + length;
    }
    this.buffer = offset === this.buffer.length ? Buffer.alloc(0) : this.buffer.subarray(offset);
    return out;
  }
}

/**
 * Reads the messages main writes to pipe `fd` in this process (any thread): `onMessages` gets those
 * each chunk completes, `onCorrupt` the error of a stream that cannot be split (nothing more is read
 * then). A pipe that breaks (main gone) is left to the process's own end.
 */
export function readFramesFrom(
  fd: number,
  onMessages: (messages: unknown[]) => void,
  onCorrupt: (error: unknown) => void,
): Socket {
  const frames = new FrameReader();
  const pipe = new Socket({ fd, readable: true, writable: false });
  pipe.on('error', () => {});
  pipe.on('data', (chunk: Buffer) => {
    let messages: unknown[];
    try {
      messages = frames.push(chunk);
    } catch (error) {
      pipe.destroy();
      onCorrupt(error);
      return;
    }
    onMessages(messages);
  });
  return pipe;
}
