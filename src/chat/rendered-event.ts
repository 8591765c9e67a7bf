import { encodeText } from '../protocol/codec.js';
import type { ChatEvent } from '../protocol/events.js';
import { encodeFrame } from '../protocol/frame.js';
import { renderEvent } from '../protocol/render.js';
import { encodeDatagram } from '../protocol/udp-wire.js';

/**
 * One event on its way to many members. Each wire form (a text line per encoding, a
 * frame for rockets) is made once and shared, so a broadcast to a thousand utf-8 clients
 * encodes once, not a thousand times.
 */
export class RenderedEvent {
  private line: string | undefined | null = null;
  /** Made when a second encoding is asked for: most events only ever meet one. */
  private textBytes: Map<string, Buffer> | undefined;
  private frameBytes: Buffer | undefined;
  private datagramBytes: Buffer | undefined;
  private lastEncoding: string | undefined;
  private lastBytes: Buffer | undefined;

  constructor(readonly event: ChatEvent) {}

  /** The line a person reads, or undefined when the event has no text form (acks). */
  text(): string | undefined {
    if (this.line === null) this.line = renderEvent(this.event);
    return this.line;
  }

  /** The text line with its newline, in the given encoding. */
  bytes(encoding: string): Buffer | undefined {
    // Asked once per member: nearly all share one encoding, so skip the map for the last one.
    if (encoding === this.lastEncoding) return this.lastBytes;
    let bytes = this.textBytes?.get(encoding);
    if (bytes === undefined) {
      const line = this.text();
      if (line === undefined) return undefined;
      bytes = encodeText(`${line}\n`, encoding);
      if (this.lastEncoding !== undefined) {
        this.textBytes ??= new Map();
        this.textBytes.set(this.lastEncoding, this.lastBytes!);
        this.textBytes.set(encoding, bytes);
      }
    }
    this.lastEncoding = encoding;
    this.lastBytes = bytes;
    return bytes;
  }

  frame(): Buffer {
    this.frameBytes ??= encodeFrame(this.event);
    return this.frameBytes;
  }

  datagram(): Buffer {
    this.datagramBytes ??= encodeDatagram(this.event);
    return this.datagramBytes;
  }
}

/**
 * Several broadcast events on their way to many members, as one buffer per wire form:
 * the text lines of all of them in an encoding, or all their frames.
 */
export class RenderedBatch {
  private readonly textBytes = new Map<string, Buffer>();
  private frameBytes: Buffer | undefined;

  constructor(readonly events: readonly RenderedEvent[]) {}

  /** The text lines, each with its newline, in the given encoding (events without text are skipped). */
  bytes(encoding: string): Buffer {
    let bytes = this.textBytes.get(encoding);
    if (bytes === undefined) {
      const parts: Buffer[] = [];
      for (const event of this.events) {
        const part = event.bytes(encoding);
        if (part !== undefined) parts.push(part);
      }
      bytes = Buffer.concat(parts);
      this.textBytes.set(encoding, bytes);
    }
    return bytes;
  }

  /** The frames of all the events, back to back. */
  frames(): Buffer {
    this.frameBytes ??= Buffer.concat(this.events.map((event) => event.frame()));
    return this.frameBytes;
  }
}
