import type { EncodingPair } from '../protocol/codec.js';

/** What `/encoding` without a name tells a plain client about its connection. */
export function describeEncodings({ send, recv }: EncodingPair): string {
  return send === recv
    ? `the room reads and writes ${send} for you; /encoding NAME changes it`
    : `the room reads ${recv} from you and writes ${send} to you; /encoding NAME sets both`;
}

/** Names the first few members; a crowded room's greeting would otherwise list them all. */
const NAMES_IN_GREETING = 20;
export function describeMembers(members: string[]): string {
  if (members.length === 0) return 'nobody else yet';
  if (members.length <= NAMES_IN_GREETING) return members.join(', ');
  const more = (members.length - NAMES_IN_GREETING).toLocaleString('en-US');
  return `${members.slice(0, NAMES_IN_GREETING).join(', ')} and ${more} more (/who lists everyone)`;
}

/** What `/encoding` tells a rocket: between rockets the wire is always UTF-8. */
export const ROCKET_ENCODING_NOTE =
  'rocket clients always talk UTF-8 to the room; use --encoding on your side for your terminal';
