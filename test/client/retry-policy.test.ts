import { describe, expect, it } from 'vitest';
import { backoffDelay, isRetryableNetworkError, isRetryableStatus, nextDelay, parseRetryAfter } from '../../src/client/retry-policy.js';

const policy = { baseDelayMs: 100, maxDelayMs: 1_000, deadlineMs: 10_000 };

describe('backoffDelay (full jitter)', () => {
  it('stays under an exponentially growing ceiling, capped', () => {
    expect(backoffDelay(0, policy, () => 0.999)).toBe(99);
    expect(backoffDelay(3, policy, () => 0.999)).toBe(799);
    expect(backoffDelay(10, policy, () => 0.999)).toBe(999);
    expect(backoffDelay(5, policy, () => 0)).toBe(0);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-28T12:00:00Z');
  it('reads delta-seconds', () => expect(parseRetryAfter('7', now)).toBe(7000));
  it('reads an HTTP date', () => expect(parseRetryAfter('Sat, 28 Nov 2026 12:00:30 GMT', now)).toBe(30_000));
  it('a past date means now', () => expect(parseRetryAfter('Sat, 28 Nov 2026 11:00:00 GMT', now)).toBe(0));
  it('ignores garbage', () => {
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter('-5', now)).toBeNull();
    expect(parseRetryAfter('1.5', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});

describe('what is retried', () => {
  it('retries transient statuses only', () => {
    for (const s of [408, 409, 429, 500, 502, 503, 504]) expect(isRetryableStatus(s)).toBe(true);
    for (const s of [400, 401, 403, 404, 413, 422]) expect(isRetryableStatus(s)).toBe(false);
  });
  it('finds network codes on the error or its cause', () => {
    expect(isRetryableNetworkError({ code: 'ECONNRESET' })).toBe(true);
    expect(isRetryableNetworkError(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }))).toBe(true);
    expect(isRetryableNetworkError(new Error('boom'))).toBe(false);
  });
});

describe('nextDelay', () => {
  it('honours a sane Retry-After', () => {
    expect(nextDelay({ attempt: 0, retryAfterMs: 2_000, elapsedMs: 0, policy })).toBe(2_000);
  });
  it('clamps an absurd Retry-After to one last try before the deadline', () => {
    expect(nextDelay({ attempt: 0, retryAfterMs: 3_600_000, elapsedMs: 1_000, policy })).toBe(8_950);
  });
  it('gives up once the deadline has passed', () => {
    expect(nextDelay({ attempt: 4, retryAfterMs: null, elapsedMs: 10_000, policy })).toBeNull();
  });
  it('uses backoff when no Retry-After came', () => {
    expect(nextDelay({ attempt: 2, retryAfterMs: null, elapsedMs: 0, policy, random: () => 0.5 })).toBe(200);
  });
});
