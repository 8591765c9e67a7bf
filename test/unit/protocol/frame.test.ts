import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from '../../../src/protocol/frame.js';

/** Cuts a buffer at the given offsets (sorted, deduplicated, inside the buffer). */
function cut(bytes: Buffer, offsets: number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const point of points) {
    pieces.push(bytes.subarray(start, point));
    start = point;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

describe('FrameDecoder', () => {
  it('decodes the same messages whatever way the stream is split', () => {
    const message = fc.record({
      type: fc.constant('say'),
      id: fc.string(),
      text: fc.string({ unit: 'binary' }),
    });
    fc.assert(
      fc.property(
        fc.array(message, { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (messages, offsets) => {
          const stream = Buffer.concat(messages.map((m) => encodeFrame(m)));
          const decoder = new FrameDecoder();
          const decoded = cut(stream, offsets).flatMap((piece) => decoder.push(piece));
          expect(decoded).toEqual(messages);
          expect(decoder.bufferedBytes).toBe(0);
        },
      ),
    );
  });

  it('decodes frames fed one byte at a time', () => {
    const stream = Buffer.concat([encodeFrame({ a: '你好' }), encodeFrame({ b: 2 })]);
    const decoder = new FrameDecoder();
    const out: unknown[] = [];
    for (const byte of stream) out.push(...decoder.push(Buffer.from([byte])));
    expect(out).toEqual([{ a: '你好' }, { b: 2 }]);
  });

  it('refuses a frame longer than its limit before buffering it', () => {
    const decoder = new FrameDecoder(100);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1_000_000, 0);
    expect(() => decoder.push(header)).toThrow(/over the limit of 100/);
  });

  it('reports a body that is not JSON as a protocol error', () => {
    const body = Buffer.from('not json');
    const frame = Buffer.concat([Buffer.from([0, 0, 0, body.length]), body]);
    expect(() => new FrameDecoder().push(frame)).toThrow(/not JSON/);
  });
});
