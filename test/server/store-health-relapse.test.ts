// A store that flaps (a nearly full disk takes a small write, then refuses the next chunk): the
// operator reads one warning for the outage and at most one a minute for its relapses, not one per
// flap; health and the gauge still follow every change.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createServerLogger } from '../../src/server/observe/server-log.js';
import { ServerMetrics } from '../../src/server/observe/server-metrics.js';
import { RELAPSE_MS, StoreHealth } from '../../src/server/observe/store-health.js';
import { StoreUnavailableError } from '../../src/server/store/store-errors.js';

function setup() {
  const lines: Array<{ level: string; msg: string; outages?: number }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  let now = 1_000_000;
  const health = new StoreHealth(createServerLogger('n1', sink, 'debug'), new ServerMetrics(), () => now);
  const full = new StoreUnavailableError('SQLITE_FULL', undefined, 'disk-full');
  const flap = (gapMs: number) => {
    health.observe('commitChunk', full);
    now += 500;
    health.observe('commitChunk', null);
    now += gapMs;
  };
  const at = (level: string) => lines.filter((l) => l.level === level).map((l) => l.msg);
  return { health, flap, at, lines, advance: (ms: number) => (now += ms) };
}

const WARN = 'warn';
const INFO = 'info';

describe('store health: a flapping store', () => {
  it('ten outages a second apart: one warning, one "again" warning with the count, the rest at debug', async () => {
    const { flap, at, lines } = setup();
    for (let i = 0; i < 10; i++) flap(1000);
    await new Promise((r) => setImmediate(r));
    expect(at(WARN)).toHaveLength(2);
    expect(at(WARN)[0]).toMatch(/^store trouble: /);
    expect(at(WARN)[1]).toMatch(/^store trouble again: .*\(2 outages in a row/);
    expect(at(INFO)).toEqual(['store writes again']);
    expect(lines.filter((l) => l.msg === 'store trouble again' && l.outages === 10)).toHaveLength(1);
  });

  it('a relapse a minute after the last "again" warning warns again; an outage long after recovery is a new story', async () => {
    const { flap, at, advance } = setup();
    // 70 flaps 1.5 s apart: 105 s of relapses, two windows of RELAPSE_MS.
    for (let i = 0; i < 70; i++) flap(1000);
    advance(2 * RELAPSE_MS);
    flap(1000);
    await new Promise((r) => setImmediate(r));
    expect(at(WARN).map((m) => m.split(':')[0])).toEqual([
      'store trouble',
      'store trouble again',
      'store trouble again',
      'store trouble',
    ]);
  });

  it('health still sees every outage: current() is set while one is open', () => {
    const { health, flap } = setup();
    for (let i = 0; i < 3; i++) {
      flap(10);
      health.observe('commitChunk', new StoreUnavailableError('SQLITE_FULL', undefined, 'disk-full'));
      expect(health.current()?.trouble).toBe('disk-full');
      health.observe('commitChunk', null);
      expect(health.current()).toBeNull();
    }
  });
});
