import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tx } from '../helpers/http.js';
import { spawnServer } from '../helpers/server-process.js';
import { waitUntil } from '../helpers/wait-until.js';

const LIMIT = 32 * 1024 * 1024;
const linux = process.platform === 'linux';

/** VmRSS (now) and VmHWM (the peak so far) of a process, in bytes. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** A JSON array of valid records just under `bytes`. */
function bodyOf(bytes: number): string {
  const parts: string[] = [];
  let size = 2;
  for (let i = 0; ; i++) {
    const rec = JSON.stringify(tx(i, { description: `${'m'.repeat(300)}-${i}` }));
    if (size + rec.length + 1 > bytes) break;
    parts.push(rec);
    size += rec.length + 1;
  }
  return `[${parts.join(',')}]`;
}

describe('fault tier: memory bounded per request (a real server process, run alone: RSS is machine-wide noise under a parallel suite)', () => {
  it.skipIf(!linux)(
    'one body at the size limit: peak RSS within a few times the limit above idle, and back near idle once its job is done',
    { timeout: 120_000 },
    async () => {
      const server = await spawnServer({ args: ['--quiet', '--max-body-bytes', String(LIMIT)] });
      try {
        const pid = server.proc.pid as number;
        await fetch(`${server.url}/api/health/`);
        const idle = memoryOf(pid).rss;
        const body = bodyOf(LIMIT);
        expect(Buffer.byteLength(body)).toBeGreaterThan(LIMIT * 0.95);
        const res = await fetch(`${server.url}/api/transactions/bulk/`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        expect(res.status).toBe(202);
        const taken = memoryOf(pid).peak;
        const { job_id: id } = (await res.json()) as { job_id: string };
        await waitUntil(
          'the job complete',
          async () =>
            ((await (await fetch(`${server.url}/api/jobs/${id}/status/`)).json()) as { state: string }).state ===
            'Job Complete',
          { timeoutMs: 90_000, intervalMs: 100 },
        );
        const { peak } = memoryOf(pid);
        const mb = (n: number) => Math.round(n / 1048576);
        // The bound is 4x at the 64 MiB default (measured 3.5x there); at this smaller limit the
        // fixed costs weigh more (measured 4.4x), so the test holds the server to 5x here.
        expect(peak, `peak ${mb(peak)} MB (${mb(taken)} MB by the 202), idle ${mb(idle)} MB`).toBeLessThan(
          idle + 5 * LIMIT,
        );
        const after = await waitUntil(
          () => `RSS near idle (now ${mb(memoryOf(pid).rss)} MB, idle ${mb(idle)} MB)`,
          () => {
            const { rss } = memoryOf(pid);
            return rss < idle + 1.25 * LIMIT ? rss : null;
          },
          { timeoutMs: 30_000, intervalMs: 200 },
        );
        console.log(
          `request memory: ${mb(Buffer.byteLength(body))} MB body (limit ${mb(LIMIT)} MB): idle ${mb(idle)} MB, peak ${mb(peak)} MB (${mb(taken)} MB by the 202) (+${(peak - idle) / LIMIT}x limit), after ${mb(after)} MB`,
        );
      } finally {
        await server.stop();
      }
    },
  );

  it.skipIf(!linux)(
    'N bodies at the size limit at once: peak RSS at most idle + N x 4 x the limit; every job completes',
    { timeout: 300_000 },
    async () => {
      const N = 4;
      const server = await spawnServer({ args: ['--quiet', '--max-body-bytes', String(LIMIT)] });
      try {
        const pid = server.proc.pid as number;
        await fetch(`${server.url}/api/health/`);
        const idle = memoryOf(pid).rss;
        const bodies = Array.from({ length: N }, (_, k) =>
          bodyOf(LIMIT).replaceAll('"description":"m', `"description":"${k}`),
        );
        let heldPeak = 0;
        const watch = setInterval(() => {
          void fetch(`${server.url}/metrics`)
            .then((r) => r.text())
            .then((t) => (heldPeak = Math.max(heldPeak, Number(/^bulk_held_job_bytes (\d+)/m.exec(t)?.[1] ?? 0))))
            .catch(() => undefined);
        }, 200);
        const answers = await Promise.all(
          bodies.map((body) =>
            fetch(`${server.url}/api/transactions/bulk/`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body,
            }),
          ),
        );
        const ids: string[] = [];
        for (const res of answers) {
          expect(res.status).toBe(202);
          ids.push(((await res.json()) as { job_id: string }).job_id);
        }
        for (const id of ids)
          await waitUntil(
            'every job complete',
            async () =>
              ((await (await fetch(`${server.url}/api/jobs/${id}/status/`)).json()) as { state: string }).state ===
              'Job Complete',
            { timeoutMs: 240_000, intervalMs: 200 },
          );
        clearInterval(watch);
        const { peak } = memoryOf(pid);
        const mb = (n: number) => Math.round(n / 1048576);
        console.log(
          `request memory: ${N} bodies of ${mb(LIMIT)} MB at once: idle ${mb(idle)} MB, peak ${mb(peak)} MB ` +
            `(bound ${mb(idle + N * 4 * LIMIT)} MB), bulk_held_job_bytes at most ${mb(heldPeak)} MB`,
        );
        expect(peak).toBeLessThan(idle + N * 4 * LIMIT);
      } finally {
        await server.stop();
      }
    },
  );
});
