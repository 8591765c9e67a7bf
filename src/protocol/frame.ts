import { RocketError } from '../errors.js';

/**
 * Frames between two rockets: a 4-byte big-endian body length, then the body (UTF-8
 * JSON). A length prefix survives any split or merge of TCP segments, and leaves room
 * for binary bodies later (file transfer) without escaping.
 */
export const FRAME_HEADER_BYTES = 4;
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

export function encodeFrame(value: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

/** Reassembles frames from arbitrary chunks; holds at most one partial frame. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** Returns the parsed bodies of every frame completed by this chunk. */
  push(chunk: Buffer): unknown[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: unknown[] = [];
    while (this.buffered >= FRAME_HEADER_BYTES) {
      const head = this.peek(FRAME_HEADER_BYTES);
      const length = head.readUInt32BE(0);
      if (length > this.maxFrameBytes) {
        throw new RocketError(
          'ROCKET_ERR_MESSAGE_TOO_LONG',
          `Cannot read frame: ${length} bytes is over the limit of ${this.maxFrameBytes}`,
        );
      }
      if (this.buffered < FRAME_HEADER_BYTES + length) break;
      const whole = this.take(FRAME_HEADER_BYTES + length);
      const body = whole.subarray(FRAME_HEADER_BYTES).toString('utf8');
      try {
        out.push(JSON.parse(body));
      } catch (cause) {
        throw new RocketError('ROCKET_ERR_PROTOCOL', 'Cannot read frame: body is not JSON', { cause });
      }
    }
    return out;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!;
    this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!;
  }

  private take(n: number): Buffer {
    const first = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const taken = first.subarray(0, n);
    const rest = first.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered -= n;
    return taken;
  }
}
