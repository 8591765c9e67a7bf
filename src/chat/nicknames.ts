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
  // Asked for every line a member says (is it joined?), nearly always of the same nick.
  if (nick !== lastNick) {
    lastKey = nick.normalize('NFKC').toLowerCase();
    lastNick = nick;
  }
  return lastKey;
}
let lastNick = '';
let lastKey = '';

/**
 * Letters from other scripts that look like Latin ones (Cyrillic "а" and Latin "a" look
 * the same on screen), folded to the Latin letter, so nobody can pose as "george" by
 * writing "gеorge" with a Cyrillic "е". A short list of the usual suspects, not all of
 * Unicode's confusables.
 */
const LOOKALIKES: Record<string, string> = {
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  і: 'i',
  ї: 'i',
  ј: 'j',
  ѕ: 's',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  һ: 'h',
  ӏ: 'l',
  α: 'a',
  β: 'b',
  ε: 'e',
  η: 'n',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  ω: 'w',
  г: 'r',
  п: 'n',
  ь: 'b',
  γ: 'y',
  օ: 'o',
  ս: 'u',
  հ: 'h',
  // Small capitals and other IPA letters that read as lower-case Latin in most fonts.
  ᴀ: 'a',
  ʙ: 'b',
  ᴄ: 'c',
  ᴅ: 'd',
  ᴇ: 'e',
  ꜰ: 'f',
  ɢ: 'g',
  ʜ: 'h',
  ɪ: 'i',
  ᴊ: 'j',
  ᴋ: 'k',
  ʟ: 'l',
  ᴍ: 'm',
  ɴ: 'n',
  ᴏ: 'o',
  ᴘ: 'p',
  ʀ: 'r',
  ꜱ: 's',
  ᴛ: 't',
  ᴜ: 'u',
  ᴠ: 'v',
  ᴡ: 'w',
  ʏ: 'y',
  ᴢ: 'z',
  ɡ: 'g',
  ı: 'i',
  ȷ: 'j',
  ℓ: 'l',
  '0': 'o',
  '1': 'l',
  '|': 'l',
};

/**
 * Pairs of letters that read as one in most fonts ("rnike" for "mike"), from Unicode's
 * confusables list (UTS #39), applied after the letters are folded.
 */
const LOOKALIKE_PAIRS: [RegExp, string][] = [
  [/rn/g, 'm'],
  [/vv/g, 'w'],
  [/cl/g, 'd'],
];

/**
 * The accents of Latin, Greek and Cyrillic letters once decomposed (NFD): "é" is "e" and a
 * combining acute. Only this block: the vowel signs of Devanagari and other scripts are
 * marks too, but a word without them looks different.
 */
const COMBINING_ACCENTS = /[\u0300-\u036f]/g;

/**
 * The shape of a nick on screen: equal skeletons are look-alikes. Accents are dropped:
 * "georgé" passes for "george" at a glance.
 */
export function nickSkeleton(nick: string): string {
  let out = '';
  for (const ch of nickKey(nick).normalize('NFD').replace(COMBINING_ACCENTS, '')) out += LOOKALIKES[ch] ?? ch;
  for (const [pair, letter] of LOOKALIKE_PAIRS) out = out.replace(pair, letter);
  return out.replace(/i/g, 'l');
}
