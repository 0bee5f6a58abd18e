/**
 * Text from a server is data, never terminal control. Every JSON answer (bodies and event data) is
 * parsed through this reviver, so a control character in any string — an escape sequence that
 * would repaint the screen, a carriage return that would forge a line of bulk's own output, a
 * bidirectional override — reaches reporters, logs and the failed-rows file as a visible escape
 * (`\x1b`, `\u202e`), and a string past {@link MAX_SERVER_STRING} characters is cut with "…".
 */

/** C0 and C1 controls, DEL, line and paragraph separators, and bidirectional embeddings and isolates. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Longest string kept whole from a server's answer (an error message of 100 KB is cut). */
export const MAX_SERVER_STRING = 2000;

export function plainServerText(text: string): string {
  const cut = text.length > MAX_SERVER_STRING ? `${text.slice(0, MAX_SERVER_STRING)}…` : text;
  return cut.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** JSON.parse for a server's answer: every string in it made plain (see the module comment). */
export function parseServerJson(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => (typeof value === 'string' ? plainServerText(value) : value));
}
