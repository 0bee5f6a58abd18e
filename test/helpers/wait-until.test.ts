import { describe, expect, it } from 'vitest';
import { waitUntil } from './wait-until.js';

describe('waitUntil', () => {
  it('returns the first value that is not undefined, null or false', async () => {
    let tries = 0;
    const values = [undefined, null, false, 0, 'x'];
    expect(await waitUntil('a value', () => values[tries++], { intervalMs: 1 })).toBe(0);
    expect(tries).toBe(4);
  });

  it('fails past its deadline, naming what it waited for and the last state seen', async () => {
    let seen = 0;
    const wait = waitUntil(
      () => `the counter to reach 1000 (last: ${seen})`,
      () => (++seen >= 1000 ? seen : undefined),
      { timeoutMs: 30, intervalMs: 5 },
    );
    await expect(wait).rejects.toThrow(/^timed out after 30 ms waiting for the counter to reach 1000 \(last: \d+\)$/);
    expect(seen).toBeGreaterThan(1);
  });

  it('fails at once when the check throws', async () => {
    let tries = 0;
    const wait = waitUntil('never', () => {
      tries++;
      throw new Error('broken check');
    });
    await expect(wait).rejects.toThrow('broken check');
    expect(tries).toBe(1);
  });
});
