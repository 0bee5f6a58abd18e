import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  DEFAULT_RETRY,
  isRetryableNetworkError,
  isRetryableStatus,
  nextDelay,
  parseRetryAfter,
} from '../../src/client/retry-policy.js';

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
  // Found from outside: after the last try before the deadline, each answer with Retry-After gave
  // a delay of 0 again, so the client sent 11 requests in 50 ms to a server asking for a pause.
  it('one last try before the deadline against a long Retry-After, then no more', () => {
    const p = { ...DEFAULT_RETRY, deadlineMs: 8_000 };
    expect(nextDelay({ attempt: 3, retryAfterMs: 2_000, elapsedMs: 7_700, policy: p })).toBe(250);
    expect(nextDelay({ attempt: 4, retryAfterMs: 2_000, elapsedMs: 7_955, policy: p })).toBeNull();
  });

  it('never more tries than the Retry-After allows within the deadline, whatever the round trip', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 500, max: 10_000 }),
        fc.integer({ min: 1_000, max: 60_000 }),
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 200, maxLength: 200 }),
        (retryAfter, deadline, rtts) => {
          const p = { ...DEFAULT_RETRY, deadlineMs: deadline };
          let elapsed = rtts[0] as number;
          let tries = 1;
          for (let attempt = 0; ; attempt++) {
            const wait = nextDelay({ attempt, retryAfterMs: retryAfter, elapsedMs: elapsed, policy: p });
            if (wait === null) break;
            expect(wait).toBeGreaterThanOrEqual(0);
            elapsed += wait + (rtts[(attempt + 1) % rtts.length] as number);
            tries++;
            expect(tries).toBeLessThanOrEqual(Math.ceil(deadline / retryAfter) + 2);
          }
        },
      ),
      { numRuns: Number(process.env.BULK_FC_RUNS ?? 200) },
    );
  });

  it('Retry-After: 0 on every answer still waits a floor with jitter, growing: a handful of tries in 20 s, not 31,721', () => {
    const p = { ...DEFAULT_RETRY, deadlineMs: 20_000 };
    for (const random of [() => 0, () => 0.5, () => 0.999]) {
      let elapsed = 0;
      let tries = 1;
      for (let attempt = 0; ; attempt++) {
        const wait = nextDelay({ attempt, retryAfterMs: 0, elapsedMs: elapsed, policy: p, random });
        if (wait === null) break;
        const floor = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** attempt) / 2;
        // The floor, except the one last try the deadline leaves room for.
        if (elapsed + floor < p.deadlineMs)
          expect(wait).toBeGreaterThanOrEqual(Math.min(floor, p.deadlineMs - elapsed - 50));
        elapsed += wait;
        tries++;
        expect(tries).toBeLessThan(20);
      }
    }
  });

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
