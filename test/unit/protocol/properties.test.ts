import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTextDecoder, encodeText } from '../../../src/protocol/codec.js';
import { parseCommand } from '../../../src/protocol/commands.js';
import { sanitizeText } from '../../../src/protocol/sanitize.js';

/** Cuts bytes at the given offsets. */
function cut(bytes: Buffer, offsets: number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    pieces.push(bytes.subarray(start, point));
    start = point;
  }
  return pieces;
}

describe('streaming decoders, property-based', () => {
  it.each(['utf-8', 'gb18030', 'utf-16le'])(
    'decode any %s text the same however its bytes are split',
    (encoding) => {
      fc.assert(
        fc.property(
          fc.string({ unit: 'grapheme', maxLength: 60 }),
          fc.array(fc.nat(), { maxLength: 12 }),
          (text, offsets) => {
            const bytes = encodeText(text, encoding);
            const decoder = createTextDecoder(encoding);
            const out =
              cut(bytes, offsets)
                .map((piece) => decoder.write(piece))
                .join('') + decoder.end();
            expect(out).toBe(text);
          },
        ),
      );
    },
  );

  it('never throws on arbitrary bytes, whatever the encoding', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('utf-8', 'gbk', 'big5', 'shift_jis', 'euc-kr', 'utf-16le'),
        fc.uint8Array({ maxLength: 200 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (encoding, raw, offsets) => {
          const decoder = createTextDecoder(encoding);
          const out =
            cut(Buffer.from(raw), offsets)
              .map((p) => decoder.write(p))
              .join('') + decoder.end();
          expect(typeof out).toBe('string');
        },
      ),
    );
  });
});

describe('the command parser, property-based', () => {
  it('reads any line without throwing, and text without a leading slash is always said as is', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (line) => {
        const command = parseCommand(line);
        if (!line.startsWith('/')) expect(command).toEqual({ name: 'say', text: line });
        if (line.startsWith('//')) expect(command).toEqual({ name: 'say', text: line.slice(1) });
      }),
    );
  });

  it('round-trips /msg NAME TEXT for any name and text', () => {
    const nick = fc.stringMatching(/^[A-Za-z0-9_\-.]{1,32}$/);
    const text = fc.string({ minLength: 1, maxLength: 100 }).filter((t) => t.trim() === t && t !== '');
    fc.assert(
      fc.property(nick, text, (to, said) => {
        expect(parseCommand(`/msg ${to} ${said}`)).toEqual({ name: 'msg', to, text: said });
      }),
    );
  });
});

describe('sanitizeText, property-based', () => {
  // The room's console sanitizes a message's parts instead of its whole line.
  it('sanitizes a concatenation as the concatenation of its sanitized parts', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(sanitizeText(a + b)).toBe(sanitizeText(a) + sanitizeText(b));
      }),
    );
  });

  it('leaves no control character but tab, whatever it saw before (it remembers a clean text)', () => {
    const control = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary', minLength: 250, maxLength: 300 }), { maxLength: 6 }),
        (texts) => {
          for (const text of texts) {
            expect(sanitizeText(text)).not.toMatch(control);
            expect(sanitizeText(text)).toBe(sanitizeText(text));
          }
        },
      ),
    );
  });
});
