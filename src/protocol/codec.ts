import iconv from 'iconv-lite';
import { UsageError } from '../errors.js';
import { sanitizeText } from './sanitize.js';

/**
 * Text encodings on the wire. iconv-lite knows far more than Node's TextDecoder
 * (gbk, gb18030, big5, shift_jis, euc-kr, koi8-r, cp437, ...) and can *encode* them too,
 * which the tutorial's gbk replies need.
 */
export const DEFAULT_ENCODING = 'utf-8';

const EXAMPLE_ENCODINGS = ['utf-8', 'gbk', 'gb18030', 'big5', 'shift_jis', 'euc-kr', 'latin1', 'utf-16le'];

/**
 * iconv-lite also knows Node's base64 and hex, which turn bytes into digits rather than
 * text into bytes: a client set to one of them gets digits back, and even its next
 * /encoding line would be read as digits.
 */
function isTextEncoding(normalized: string): boolean {
  if (normalized === '' || !iconv.encodingExists(normalized)) return false;
  const internal = (iconv.getCodec(normalized) as { enc?: string }).enc;
  return internal !== 'base64' && internal !== 'hex';
}

/** Returns the encoding name as given (lower-cased) or throws a usage error naming valid ones. */
export function checkEncoding(name: string): string {
  const normalized = name.trim().toLowerCase();
  if (!isTextEncoding(normalized)) {
    throw new UsageError(
      // Caret notation: the name may come from a peer, and its escape codes must not reach a terminal.
      `Unknown encoding "${sanitizeText(name)}": use a text encoding that iconv-lite knows, such as ${EXAMPLE_ENCODINGS.join(', ')}`,
      'ROCKET_ERR_ENCODING',
    );
  }
  return normalized;
}

export function isKnownEncoding(name: string): boolean {
  return isTextEncoding(name.trim().toLowerCase());
}

const UTF8_NAMES = new Set(['utf-8', 'utf8']);

/** Encodes text; UTF-8 goes through Buffer directly since it is the hot path. */
export function encodeText(text: string, encoding: string): Buffer {
  if (UTF8_NAMES.has(encoding)) return Buffer.from(text, 'utf8');
  // iconv-lite's "binary" keeps only the low byte of each character, so text made safe for a
  // terminal could turn into control bytes there (U+011B into ESC); latin1 gives '?' instead.
  if (encoding === 'binary') return Buffer.from(text.replace(/[^\u0000-\u00ff]/g, '?'), 'latin1');
  return iconv.encode(text, encoding);
}

/**
 * The UTF-8 size of `text` when it is over `maxBytes`, else undefined. A UTF-16 unit is at
 * most 3 UTF-8 bytes, so a short text (every chat line, nearly) is not counted at all.
 */
export function utf8BytesOver(text: string, maxBytes: number): number | undefined {
  if (text.length * 3 <= maxBytes) return undefined;
  const bytes = Buffer.byteLength(text);
  return bytes > maxBytes ? bytes : undefined;
}

/**
 * A streaming decoder: bytes of a multi-byte character split across chunks are held
 * until the rest arrives, so a character is never garbled by TCP segmentation or by
 * datagram boundaries. Invalid bytes come out as U+FFFD.
 */
export interface TextDecoderStream {
  write(chunk: Buffer): string;
  /** Flushes held bytes (an incomplete character becomes U+FFFD). */
  end(): string;
}

export function createTextDecoder(encoding: string): TextDecoderStream {
  let decoder = iconv.getDecoder(encoding, { stripBOM: false });
  const fourByteSequences = iconv.getCodec(encoding).encodingName === 'gb18030';
  return {
    write: (chunk) => {
      // iconv-lite 0.7 sizes its output by the new chunk alone, so when bytes held from the
      // last chunk complete a 4-byte gb18030 character (U+10000 and up) the output is cut
      // short. Found by the property test; sidestepped by decoding the held bytes and the
      // new ones afresh. (The held bytes are the decoder's own `prevBytes`.)
      const held = (decoder as { prevBytes?: number[] }).prevBytes;
      if (fourByteSequences && held !== undefined && held.length > 0) {
        decoder = iconv.getDecoder(encoding, { stripBOM: false });
        return decoder.write(Buffer.concat([Buffer.from(held), chunk]));
      }
      return decoder.write(chunk);
    },
    end: () => decoder.end() ?? '',
  };
}

/** Send and receive encodings of one connection; the tutorial's programs use different ones. */
export interface EncodingPair {
  send: string;
  recv: string;
}

export function resolveEncodings(opts: {
  encoding?: string;
  sendEncoding?: string;
  recvEncoding?: string;
}): EncodingPair {
  const base = checkEncoding(opts.encoding ?? DEFAULT_ENCODING);
  return {
    send: opts.sendEncoding ? checkEncoding(opts.sendEncoding) : base,
    recv: opts.recvEncoding ? checkEncoding(opts.recvEncoding) : base,
  };
}
