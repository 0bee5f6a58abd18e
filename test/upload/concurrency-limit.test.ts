import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit } from '../../src/upload/send/concurrency-limit.js';
import { Semaphore } from '../../src/upload/send/semaphore.js';

describe('ConcurrencyLimit: AIMD on smoothed start-request latency (ms per KiB sent; null for a failure)', () => {
  it.each([
    ['steady latency keeps the limit', 4, [10, 10, 11, 10, 10, 12], [4, 4, 4, 4, 4, 4]],
    [
      'latency growing past twice the best halves it, once per cooldown',
      8,
      [10, 40, 40, 40, 40, 40, 40, 40, 40, 40],
      [8, 4, 4, 4, 4, 2, 2, 1, 1, 1],
    ],
    ['one slow request among quick ones is noise (a busy machine), not a trend', 4, [10, 30, 10, 10], [4, 4, 4, 4]],
    ['a timeout halves it', 4, [10, null, 10], [4, 2, 2]],
    [
      'quick again: one more after three quick samples in a row, up to the maximum',
      4,
      [10, null, 10, 10, 10, 10, 10, 10, 10, 10, 10],
      [4, 2, 2, 2, 3, 3, 3, 4, 4, 4, 4],
    ],
    ['never below one', 2, [10, null, null, null, null], [2, 1, 1, 1, 1]],
  ] as const)('%s', (_name, max, samples, want) => {
    const limit = new ConcurrencyLimit({ max });
    const seen = samples.map((s) => {
      limit.sample(s);
      return limit.current;
    });
    expect(seen).toEqual(want);
  });
});

describe('Semaphore with a limit that moves', () => {
  it('a lowered limit holds freed slots back; a raised one lets waiters in', async () => {
    let limit = 3;
    const slots = new Semaphore(() => limit);
    for (let i = 0; i < 3; i++) await slots.acquire();
    let woken = 0;
    const waiting = Array.from({ length: 3 }, () => slots.acquire().then(() => woken++));
    limit = 1;
    slots.release();
    slots.release();
    await Promise.resolve();
    expect([slots.inUse, woken]).toEqual([1, 0]);
    limit = 3;
    slots.release();
    await Promise.all(waiting);
    expect([slots.inUse, woken]).toEqual([3, 3]);
  });
});
