import type { Command } from 'commander';
import { nickProblem } from '../chat/nicknames.js';
import { UsageError } from '../errors.js';
import { type EncodingPair, resolveEncodings } from '../protocol/codec.js';

/** Options that listen and connect share. */
export interface SharedChatFlags {
  udp?: boolean;
  raw?: boolean;
  nick?: string;
  encoding?: string;
  sendEncoding?: string;
  recvEncoding?: string;
  json?: boolean;
  progress?: boolean;
}

export function addSharedChatOptions(command: Command): Command {
  return command
    .option('--udp', 'use UDP datagrams instead of TCP')
    .option('--raw', 'a byte-exact pipe like netcat: stdin to the socket, the socket to stdout')
    .option('--nick <name>', 'your nickname in the room, e.g. --nick peppa')
    .option(
      '--encoding <enc>',
      'text encoding on the wire for plain peers (default utf-8), e.g. gbk, big5, shift_jis',
    )
    .option('--send-encoding <enc>', 'encoding of what you send, when it differs from what you receive')
    .option('--recv-encoding <enc>', 'encoding of what you receive, e.g. gbk for the tutorial server')
    .option('--json', 'print every event as one JSON object per line')
    .option('--progress', 'with --raw: show bytes and rate on stderr even when it is not a terminal');
}

/** Rejects flag combinations that make no sense, before any socket opens. */
export function checkChatFlags(flags: SharedChatFlags): EncodingPair {
  const encodings = resolveEncodings(flags);
  if (flags.raw) {
    for (const [name, value] of [
      ['--encoding', flags.encoding],
      ['--send-encoding', flags.sendEncoding],
      ['--recv-encoding', flags.recvEncoding],
      ['--nick', flags.nick],
      ['--json', flags.json],
    ] as const) {
      if (value !== undefined)
        throw new UsageError(`cannot use --raw with ${name}: raw mode passes bytes through unchanged`);
    }
  } else if (flags.progress) {
    throw new UsageError('--progress goes with --raw');
  }
  const problem = flags.nick === undefined ? undefined : nickProblem(flags.nick);
  if (problem) throw new UsageError(`cannot use --nick "${flags.nick}": ${problem}`);
  return encodings;
}
