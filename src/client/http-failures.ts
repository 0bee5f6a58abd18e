// How the transport names what went wrong with a request: a status code as an ApiError kind, a
// network failure as a timeout or a reset in words, a body as JSON only when it is JSON.
import { ApiError } from './api-error.js';
import { parseServerJson } from './server-text.js';

/** No answer, and no sign of life from the link, for longer than the link's pace allows. */
export class LinkTimeoutError extends Error {
  readonly code = 'UND_ERR_HEADERS_TIMEOUT';
  constructor(timeoutMs: number) {
    super(
      `no answer, and nothing from the server, for ${Math.round(timeoutMs / 1000)} s ` +
        `beyond the time to send the requests in flight (--timeout)`,
    );
  }
}

export function parseJsonBody(text: string, contentType: string): unknown {
  if (!text) return undefined;
  // 502/503 pages from proxies are HTML: never feed them to JSON.parse as if they were ours.
  if (contentType && !contentType.includes('json')) return undefined;
  try {
    return parseServerJson(text);
  } catch {
    return undefined;
  }
}

/** A status the client names itself, whatever the server's body says: 507 is a full disk on any server. */
export function meaningOf(status: number, message: string): string {
  if (status === 507 && !/disk is full/i.test(message)) return `the server's disk is full (${message})`;
  return message;
}

export function classifyStatus(status: number, message: string, body: unknown): ApiError {
  if (status === 401 || status === 403) return new ApiError('auth', message, status, body);
  if (status === 404) return new ApiError('not-found', message, status, body);
  if (status === 413) return new ApiError('too-large', message, status, body);
  if (status >= 500 || status === 429 || status === 408 || status === 409)
    return new ApiError('unreachable', message, status, body);
  return new ApiError('rejected', message, status, body);
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
]);

/** Failures while connecting: the request was never written, so the server cannot have it. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Whether a network failure happened before any byte of the request could reach the server. */
export function neverSent(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } };
  return NOT_SENT_CODES.has(e.code ?? e.cause?.code ?? '');
}

/** A failure with no answer: the time ran out, or the connection broke. */
export function detailOf(err: unknown): 'timeout' | 'reset' {
  const e = err as { code?: string; cause?: { code?: string } };
  return TIMEOUT_CODES.has(e.code ?? e.cause?.code ?? '') ? 'timeout' : 'reset';
}

export function describeNetworkError(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const message = e.cause?.message ?? e.message ?? String(err);
  return code ? `${code} ${message}`.trim() : message;
}
