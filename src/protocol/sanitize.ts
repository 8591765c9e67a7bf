/**
 * Makes peer text harmless for a terminal: C0/C1 control characters (ESC starts ANSI
 * sequences that can move the cursor, recolour or retitle a terminal) become visible
 * caret notation, e.g. ESC -> "^[". Tabs stay.
 */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;
const HAS_CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;

export function sanitizeText(text: string): string {
  if (!HAS_CONTROL.test(text)) return text;
  return text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x20 || code === 0x7f ? `^${String.fromCharCode(code ^ 0x40)}` : '\ufffd';
  });
}
