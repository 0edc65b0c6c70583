// Messages on a byte pipe between main and the import thread: each one v8-serialised (the same
// structured-clone encoding as the IPC channel's 'advanced' serialisation) after its length, a
// 32-bit little-endian byte count, and the length of a raw part that follows it (0: none). Jobs and
// their results travel this way, straight between main and the thread that runs them, instead of
// through the import process's own thread. A file the import dialog sends as bytes goes as a raw
// part, written from the caller's memory as it is: main neither serialises nor copies it (4 MB:
// two copies of ~11 ms each on main's thread here).
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

/**
 * Largest message accepted from a pipe: a longer length is a corrupt stream, not a message (main
 * sends no larger job: ImportService.run).
 */
export const MAX_FRAME_BYTES = 1024 * 1024 * 1024;

const HEADER_BYTES = 8;

function header(bodyLength: number, rawLength: number): Buffer {
  const head = Buffer.allocUnsafe(HEADER_BYTES);
  head.writeUInt32LE(bodyLength, 0);
  head.writeUInt32LE(rawLength, 4);
  return head;
}

export function encodeFrame(message: unknown): Buffer {
  const body = serialize(message);
  return Buffer.concat([header(body.length, 0), body]);
}

/**
 * A message with a raw part, as buffers to write in order: the reader gives the message back with
 * the part as its `raw` member. The part is not copied (its buffer is written as it is: keep it
 * unchanged until written).
 */
export function frameWithRaw(message: object, raw: Uint8Array): Buffer[] {
  const body = serialize(message);
  return [
    Buffer.concat([header(body.length, raw.byteLength), body]),
    Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength),
  ];
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

/**
 * Splits a byte stream back into messages. A pipe hands over at most 64 KiB a read, so a large
 * message (a file the import dialog sends as bytes) comes in hundreds of chunks: they are held as
 * they come and joined once the message is whole, each byte copied once (joining them chunk by chunk
 * copied a 50 MB file ~400 times over: 42 s before its import could start).
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private held = 0;
  /** Bytes needed before anything can be decoded: a header, or a header and its frame. */
  private need = HEADER_BYTES;

  /** The messages completed by `chunk`, in order; throws on a corrupt stream. */
  push(chunk: Buffer): unknown[] {
    this.chunks.push(chunk);
    this.held += chunk.length;
    if (this.held < this.need) return [];
    const buffer = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.held);
    const out: unknown[] = [];
    let offset = 0;
    this.need = HEADER_BYTES;
    while (buffer.length - offset >= HEADER_BYTES) {
      const length = buffer.readUInt32LE(offset);
      const rawLength = buffer.readUInt32LE(offset + 4);
      if (length + rawLength > MAX_FRAME_BYTES)
        throw new Error(`A message of ${length + rawLength} bytes on the import pipe.`);
      const end = offset + HEADER_BYTES + length + rawLength;
      if (buffer.length < end) {
        this.need = end - offset;
        break;
      }
      const message = deserialize(buffer.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length));
      if (rawLength > 0) {
        if (typeof message !== 'object' || message === null)
          throw new Error('A raw part on the import pipe with no message to hold it.');
        const at = offset + HEADER_BYTES + length;
        (message as { raw?: Uint8Array }).raw = new Uint8Array(
          buffer.buffer,
          buffer.byteOffset + at,
          rawLength,
        );
      }
      out.push(message);
      offset = end;
    }
    // What is left of a message, copied out once something was taken (not to hold the rest).
    const rest =
      offset === buffer.length ? null : offset === 0 ? buffer : Buffer.from(buffer.subarray(offset));
    this.chunks = rest ? [rest] : [];
    this.held = rest?.length ?? 0;
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
