import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../../src/protocol/line-splitter.js';

describe('LineSplitter', () => {
  it('splits on LF and CRLF, keeping text without a newline pending', () => {
    const splitter = new LineSplitter();
    expect(splitter.push('one\r\ntwo\nthr').lines).toEqual(['one', 'two']);
    expect(splitter.pendingText).toBe('thr');
    expect(splitter.push('ee\n').lines).toEqual(['three']);
    expect(splitter.takePending()).toBeUndefined();
  });

  it('yields the same lines for any split of the text', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\n'))),
        fc.array(fc.nat()),
        (lines, cuts) => {
          const text = lines.map((l) => `${l}\n`).join('');
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const splitter = new LineSplitter(Number.POSITIVE_INFINITY);
          const out: string[] = [];
          let start = 0;
          for (const p of [...points, text.length]) {
            out.push(...splitter.push(text.slice(start, p)).lines);
            start = p;
          }
          expect(out).toEqual(lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)));
        },
      ),
    );
  });

  it('drops an over-long line once, then carries on with the next', () => {
    const splitter = new LineSplitter(10);
    const first = splitter.push('x'.repeat(8));
    expect(first.overflows).toEqual([]);
    const second = splitter.push('x'.repeat(50));
    expect(splitter.isDiscarding).toBe(true);
    expect(splitter.pendingText).toBe('');
    const third = splitter.push('tail\nok\n');
    expect(second.overflows).toEqual([58]); // reported as soon as it passed the limit
    expect(third.overflows).toEqual([]);
    expect(third.lines).toEqual(['ok']);
  });

  it('hands out text that never got a newline', () => {
    const splitter = new LineSplitter();
    splitter.push('hello George');
    expect(splitter.takePending()).toBe('hello George');
    expect(splitter.pendingText).toBe('');
  });
});
