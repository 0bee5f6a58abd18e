/** How a failed request is retried. Pure: every decision here is unit-tested without a network. */
export interface RetryOptions {
  /** First backoff ceiling. @default 250 */
  baseDelayMs: number;
  /** Largest backoff ceiling. @default 15000 */
  maxDelayMs: number;
  /** How long one operation keeps retrying before bulk gives up. @default 300000 */
  deadlineMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { baseDelayMs: 250, maxDelayMs: 15_000, deadlineMs: 300_000 };

/** Exponential backoff with full jitter (AWS architecture blog): spreads retries of many clients. */
export function backoffDelay(attempt: number, opts: RetryOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.max(0, attempt));
  return Math.floor(random() * ceiling);
}

/**
 * Parses Retry-After (delta-seconds or an HTTP date) into milliseconds. Garbage gives null, so the
 * caller falls back to its own backoff; a date in the past gives 0.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | null {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return null;
  const text = raw.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return null;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

/** Statuses worth another try: the answer may differ next time. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}

const RETRYABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** Network-level failures: the request may or may not have reached the server. */
export function isRetryableNetworkError(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && RETRYABLE_CODES.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The wait before the next attempt: the server's Retry-After when it gave a sane one, else our
 * backoff. Never past the deadline; null when the deadline leaves no room for another attempt.
 */
export function nextDelay(opts: {
  attempt: number;
  retryAfterMs: number | null;
  elapsedMs: number;
  policy: RetryOptions;
  random?: () => number;
}): number | null {
  const remaining = opts.policy.deadlineMs - opts.elapsedMs;
  if (remaining <= 0) return null;
  // A Retry-After of 0 (or one shorter than our own backoff) still waits a floor with jitter: a
  // server that says "now" on every answer must not get thousands of requests a second.
  const wanted =
    opts.retryAfterMs === null
      ? backoffDelay(opts.attempt, opts.policy, opts.random)
      : Math.max(opts.retryAfterMs, floorDelay(opts.attempt, opts.policy, opts.random));
  if (wanted >= remaining) {
    // An absurd Retry-After (an hour, a year) must not outlive the deadline: one last try just
    // before it. Once that try is made, what is left is within the margin: no burst of tries at the
    // end against a server that asked for a pause.
    if (opts.retryAfterMs === null || remaining <= LAST_TRY_MARGIN_MS) return null;
    return remaining - LAST_TRY_MARGIN_MS;
  }
  return wanted;
}

/** The least wait before attempt `attempt`, whatever Retry-After says: half the backoff ceiling, plus jitter. */
export function floorDelay(attempt: number, opts: RetryOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.max(0, attempt));
  return Math.floor(ceiling / 2 + (random() * ceiling) / 2);
}

/** The last try against a long Retry-After is made this long before the deadline. */
const LAST_TRY_MARGIN_MS = 50;
