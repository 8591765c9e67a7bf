import type { EncodingPair } from '../protocol/codec.js';

/** What `/encoding` without a name tells a plain client about its connection. */
export function describeEncodings({ send, recv }: EncodingPair): string {
  return send === recv
    ? `the room reads and writes ${send} for you; /encoding NAME changes it`
    : `the room reads ${recv} from you and writes ${send} to you; /encoding NAME sets both`;
}
