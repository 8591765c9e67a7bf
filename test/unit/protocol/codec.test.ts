import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import {
  checkEncoding,
  createTextDecoder,
  encodeText,
  resolveEncodings,
} from '../../../src/protocol/codec.js';

describe('codec', () => {
  it.each(['utf-8', 'gbk', 'gb18030', 'big5', 'shift_jis', 'euc-kr', 'utf-16le'])(
    'decodes %s split at every byte boundary without garbling',
    (encoding) => {
      const samples: Record<string, string> = {
        shift_jis: 'こんにちは、ジョージ',
        'euc-kr': '안녕하세요 조지',
        big5: '你好，喬治！hello',
      };
      const text = samples[encoding] ?? '你好，乔治！hello';
      const bytes = encodeText(text, encoding);
      for (let at = 0; at <= bytes.length; at++) {
        const decoder = createTextDecoder(encoding);
        const out = decoder.write(bytes.subarray(0, at)) + decoder.write(bytes.subarray(at)) + decoder.end();
        expect(out).toBe(text);
      }
    },
  );

  it('never makes control bytes of printable text in a single-byte encoding', () => {
    // "binary" kept the low byte of each character: U+011B U+015B "2J" became ESC [ 2 J.
    const text = '\u011b\u015b2J\u0107 caf\u00e9';
    expect(encodeText(text, 'binary')).toEqual(Buffer.from('??2J? caf\u00e9', 'latin1'));
    for (const encoding of ['binary', 'latin1', 'ascii', 'windows-1252', 'koi8-r', 'cp437']) {
      expect([...encodeText(text, encoding)].filter((b) => b < 0x20 || b === 0x7f)).toEqual([]);
    }
  });

  it('decodes byte by byte', () => {
    const bytes = iconv.encode('佩奇和乔治', 'gbk');
    const decoder = createTextDecoder('gbk');
    let out = '';
    for (const b of bytes) out += decoder.write(Buffer.from([b]));
    expect(out).toBe('佩奇和乔治');
  });

  it('turns invalid bytes into U+FFFD', () => {
    const decoder = createTextDecoder('utf-8');
    expect(decoder.write(Buffer.from([0x61, 0xff, 0x62])) + decoder.end()).toBe('a\ufffdb');
  });

  it('rejects an unknown encoding with a usage error naming valid ones', () => {
    expect(() => checkEncoding('klingon')).toThrow(/Unknown encoding "klingon".*gbk/);
    // A peer's /encoding name is echoed back: its escape codes must not reach their terminal.
    expect(() => checkEncoding('\u001b[2Jx')).toThrow(/Unknown encoding "\^\[\[2Jx"/);
    try {
      checkEncoding('klingon');
    } catch (err) {
      expect((err as { exitCode: number }).exitCode).toBe(2);
    }
  });

  it('refuses base64 and hex, which iconv-lite knows but which are not text encodings', () => {
    for (const name of ['base64', 'hex', 'HEX'])
      expect(() => checkEncoding(name)).toThrow(
        new RegExp(`Unknown encoding "${name}": use a text encoding`),
      );
    expect(checkEncoding('latin1')).toBe('latin1');
    expect(checkEncoding('UTF-16')).toBe('utf-16');
  });

  it('resolves separate send and receive encodings', () => {
    expect(resolveEncodings({ recvEncoding: 'gbk' })).toEqual({ send: 'utf-8', recv: 'gbk' });
    expect(resolveEncodings({ encoding: 'BIG5', sendEncoding: 'utf8' })).toEqual({
      send: 'utf8',
      recv: 'big5',
    });
  });
});
