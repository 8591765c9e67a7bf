/**
 * The slash commands of a room, parsed from one line of input. Pure: the room decides
 * what they do. "//text" sends "/text" as an ordinary message.
 */
export type Command =
  | { name: 'say'; text: string }
  | { name: 'nick'; nick: string }
  | { name: 'who' }
  | { name: 'msg'; to: string; text: string }
  | { name: 'me'; text: string }
  | { name: 'encoding'; encoding?: string }
  | { name: 'quit'; text?: string }
  | { name: 'help' }
  | { name: 'register'; secret: string }
  | { name: 'login'; nick: string; secret: string }
  | { name: 'invalid'; text: string };

export const COMMAND_HELP = [
  '/nick NAME         change your nickname',
  '/who               list who is in the room',
  '/msg NAME TEXT     send TEXT to NAME only',
  '/me ACTION         say what you are doing, e.g. /me waves',
  '/encoding ENC      how the room decodes and encodes text for you (utf-8, gbk, big5, ...)',
  '/quit [MESSAGE]    leave the room',
  '/register SECRET   claim your nickname, so letters can wait for you while you are away',
  '/login NAME SECRET become NAME again and pick up your letters',
  '/help              this list',
  '//TEXT             send a message that starts with /',
];

export function parseCommand(text: string): Command {
  // A byte-order mark is not text: Python's str.encode('utf-16') puts one before every
  // piece it encodes, so it starts lines, not only the stream ("\uFEFF/nick bob").
  const line = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (!line.startsWith('/') || line.startsWith('//')) {
    return { name: 'say', text: line.startsWith('//') ? line.slice(1) : line };
  }
  const match = /^\/(\S+)\s*(.*)$/s.exec(line);
  const word = (match?.[1] ?? '').toLowerCase();
  const rest = (match?.[2] ?? '').trim();
  switch (word) {
    case 'nick':
      if (/\s/.test(rest))
        return invalid('a nickname is one word, without spaces: /nick NAME, e.g. /nick peppa_pig');
      return rest ? { name: 'nick', nick: rest } : invalid('usage: /nick NAME');
    case 'who':
    case 'names':
      return { name: 'who' };
    case 'msg':
    case 'query': {
      const m = /^(\S+)\s+(.+)$/s.exec(rest);
      return m ? { name: 'msg', to: m[1]!, text: m[2]! } : invalid('usage: /msg NAME TEXT');
    }
    case 'me':
      return rest ? { name: 'me', text: rest } : invalid('usage: /me ACTION');
    case 'encoding':
      return rest ? { name: 'encoding', encoding: rest } : { name: 'encoding' };
    case 'quit':
    case 'exit':
    case 'bye':
      return rest ? { name: 'quit', text: rest } : { name: 'quit' };
    case 'help':
    case '?':
      return { name: 'help' };
    case 'register':
      return rest ? { name: 'register', secret: rest } : invalid('usage: /register SECRET');
    case 'login': {
      const m = /^(\S+)\s+(.+)$/s.exec(rest);
      return m ? { name: 'login', nick: m[1]!, secret: m[2]! } : invalid('usage: /login NAME SECRET');
    }
    default:
      return invalid(
        `unknown command /${word}; /help lists the commands (start with // to send a line beginning with /)`,
      );
  }
}

function invalid(text: string): Command {
  return { name: 'invalid', text };
}
