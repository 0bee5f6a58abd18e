import { describe, expect, it } from 'vitest';
import { LinkPace } from '../../src/client/link-pace.js';

describe('LinkPace: when a request has waited too long on this link', () => {
  const KiB = 1024;

  it('a request alone: the inactivity timeout plus its body at the assumed pace', () => {
    const pace = new LinkPace({ initialBytesPerSecond: 32 * KiB });
    const r = pace.begin(64 * KiB, 0);
    // 1 s timeout + 64 KiB at 32 KiB/s = 3 s.
    expect([r.overdue(2_999, 1_000), r.overdue(3_001, 1_000)]).toEqual([false, true]);
  });

  it('bodies that join later lengthen the wait of those already out: they share the link', () => {
    const pace = new LinkPace({ initialBytesPerSecond: 32 * KiB });
    const first = pace.begin(64 * KiB, 0);
    expect(first.overdue(3_500, 1_000)).toBe(true);
    pace.begin(64 * KiB, 100);
    pace.begin(64 * KiB, 200);
    // Now 192 KiB in flight: 1 s + 6 s.
    expect([first.overdue(6_999, 1_000), first.overdue(7_001, 1_000)]).toEqual([false, true]);
  });

  it('an answer to any request is a sign of life: the quiet time counts from it', () => {
    const pace = new LinkPace({ initialBytesPerSecond: 32 * KiB });
    const a = pace.begin(0, 0);
    const b = pace.begin(0, 0);
    expect(a.overdue(1_500, 1_000)).toBe(true);
    b.end(1_200, true);
    expect([a.overdue(2_100, 1_000), a.overdue(2_300, 1_000)]).toEqual([false, true]);
  });

  it.each([
    [
      'learns a faster link from a large body answered quickly',
      [[256 * KiB, 1_000, true]],
      32 * KiB * 0.7 + 256 * KiB * 0.3,
    ],
    [
      'learns a slower link from a large body answered slowly',
      [[64 * KiB, 8_000, true]],
      32 * KiB * 0.7 + 8 * KiB * 0.3,
    ],
    ['a small request says nothing about the pace', [[1 * KiB, 5_000, true]], 32 * KiB],
    ['a timeout halves the pace, so the retry waits longer', [[64 * KiB, 3_000, false]], 16 * KiB],
    [
      'never below the floor',
      [
        [64 * KiB, 1, false],
        [64 * KiB, 1, false],
        [64 * KiB, 1, false],
        [64 * KiB, 1, false],
        [64 * KiB, 1, false],
        [64 * KiB, 1, false],
      ],
      1 * KiB,
    ],
  ] as const)('%s', (_name, requests, want) => {
    const pace = new LinkPace({ initialBytesPerSecond: 32 * KiB, floorBytesPerSecond: KiB });
    for (const [bytes, ms, ok] of requests) pace.begin(bytes, 0).end(ms, ok);
    expect(pace.pace).toBeCloseTo(want, 6);
  });
});
