/**
 * Makes peer text harmless for a terminal: C0/C1 control characters (ESC starts ANSI
 * sequences that can move the cursor, recolour or retitle a terminal) become visible
 * caret notation, e.g. ESC -> "^[". Tabs stay.
 */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;
const HAS_CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;

/**
 * The last long text found clean. A message's text is checked when the room hears it and
 * again when the room's own console prints it; at 1,200 bytes the two scans were a tenth of
 * a busy UDP room's CPU. Comparing with the remembered string is immediate when it is the
 * same string and a plain comparison otherwise; short strings (nicks) are cheap to scan
 * and would only push the long one out.
 */
let lastCleanLong = '';
const REMEMBER_FROM_CHARS = 256;

export function sanitizeText(text: string): string {
  if (text === lastCleanLong) return text;
  if (!HAS_CONTROL.test(text)) {
    if (text.length >= REMEMBER_FROM_CHARS) lastCleanLong = text;
    return text;
  }
  return text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x20 || code === 0x7f ? `^${String.fromCharCode(code ^ 0x40)}` : '\ufffd';
  });
}
