/**
 * Nickname rules: 1-32 letters (any script), digits, and a few marks, so a nick can't
 * carry spaces, control characters or terminal escapes. Two nicks that differ only in
 * case or in Unicode compatibility form (e.g. full-width letters) count as the same.
 */
export const MAX_NICK_CHARS = 32;
const NICK_PATTERN = /^[\p{L}\p{N}_\-.[\]{}|^]{1,32}$/u;

export function nickProblem(nick: string): string | undefined {
  if (nick.length === 0) return 'a nickname cannot be empty';
  if ([...nick].length > MAX_NICK_CHARS) return `a nickname has at most ${MAX_NICK_CHARS} characters`;
  if (!NICK_PATTERN.test(nick)) return 'a nickname may use letters, digits and _ - . [ ] { } | ^ only';
  return undefined;
}

/** The key two nicks collide on. */
export function nickKey(nick: string): string {
  return nick.normalize('NFKC').toLowerCase();
}
