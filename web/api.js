/* global TextDecoderStream */
// The job API as the page speaks it: the token (this tab only), JSON requests, and the
// text/event-stream reader (fetch, not EventSource: a token must go in a header, never a URL).

const TOKEN_KEY = 'bulk.token';
// A server that does not announce its heartbeat: 45 s of silence and the stream is taken for dead.
const STREAM_SILENCE_MS = 45_000;

/**
 * How long a stream may stay silent: about two of the heartbeats the server announces
 * (X-Heartbeat-Ms), as the CLI allows, else STREAM_SILENCE_MS.
 * @param {string | null} announced
 */
export function silenceMsOf(announced) {
  const ms = Number(announced);
  return /^\d+$/.test(announced ?? '') && ms >= 50 && ms <= 600_000 ? 2 * ms + Math.min(ms, 1000) : STREAM_SILENCE_MS;
}

export class AuthError extends Error {}

/** @returns {string | null} */
export const token = () => sessionStorage.getItem(TOKEN_KEY);
/** @param {string | null} value */
export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** @returns {Record<string, string>} */
export function authHeaders() {
  const t = token();
  return t ? { authorization: `Bearer ${t}` } : {};
}

/**
 * @param {string} path
 * @param {RequestInit} [init]
 * @returns {Promise<{ status: number, body: any, text: string }>}
 */
export async function api(path, init = {}) {
  const res = await fetch(path, {
    ...init,
    headers: { accept: 'application/json', ...authHeaders() },
    cache: 'no-store',
    credentials: 'omit',
  });
  if (res.status === 401) throw new AuthError('token refused');
  const text = await res.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: res.status, body, text };
}

/**
 * Reads text/event-stream from a fetch body and calls onData with each event's data. Silence past
 * silenceMs calls onSilence (the caller aborts and reconnects).
 * @param {ReadableStream<any>} body
 * @param {(data: string) => void} onData
 * @param {AbortSignal} signal
 * @param {() => void} onSilence
 * @param {number} [silenceMs]
 */
export async function readEvents(body, onData, signal, onSilence, silenceMs = STREAM_SILENCE_MS) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  signal.addEventListener('abort', () => void reader.cancel().catch(() => undefined));
  let buf = '';
  let silence = setTimeout(onSilence, silenceMs);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      clearTimeout(silence);
      silence = setTimeout(onSilence, silenceMs);
      buf += value.replace(/\r\n?/g, '\n');
      let at;
      while ((at = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, at);
        buf = buf.slice(at + 2);
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).replace(/^ /, ''))
          .join('\n');
        if (data) onData(data);
      }
    }
  } finally {
    clearTimeout(silence);
  }
}
