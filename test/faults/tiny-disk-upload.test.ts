import { rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { generateTransactions } from '../../bench/transactions-generator.mjs';
import { runCli } from '../helpers/run-cli.js';
import { spawnServer } from '../helpers/server-process.js';
import { tempDir } from '../helpers/temp.js';
import { canMount, mountTinyDisk, type TinyDisk } from '../helpers/tiny-disk.js';

const ROWS = 300_000;
const MOUNTABLE = canMount(path.join(tempDir('bulk-mount-probe-'), 'm'));
if (!MOUNTABLE) console.warn('faults: tiny-disk-upload needs to mount a tmpfs (root); skipped');

const sizeOf = (f: string) => {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
};

describe('fault tier: SQLite on a 20 MB tmpfs with an 8 MB filler', () => {
  it.skipIf(!MOUNTABLE)(
    '300k rows with --deadline 30: health goes 503, the client says the disk is full and ends; after space is made a resume stores every row once',
    { timeout: 300_000 },
    async () => {
      const work = tempDir('bulk-tiny-disk-');
      const dir = path.join(work, 'disk');
      const disk = mountTinyDisk(dir, '20m') as TinyDisk;
      try {
        writeFileSync(path.join(dir, 'filler'), Buffer.alloc(8 * 1024 * 1024));
        const input = path.join(work, 'transactions.csv');
        await generateTransactions({ rows: ROWS, seed: 25, invalidShare: 0, format: 'csv', out: input });
        const dbPath = path.join(dir, 'bulk.db');
        const server = await spawnServer({ dbPath, args: ['--quiet'] });
        const health: Record<string, number> = {};
        let walPeak = 0;
        const poll = setInterval(() => {
          walPeak = Math.max(walPeak, sizeOf(`${dbPath}-wal`));
          void fetch(`${server.url}/api/health/`)
            .then((r) => (health[r.status] = (health[r.status] ?? 0) + 1))
            .catch(() => undefined);
        }, 250);
        const env = { XDG_STATE_HOME: work, XDG_DATA_HOME: work };
        try {
          const t0 = performance.now();
          const first = await runCli(['upload', input, '--url', server.url, '--deadline', '30'], {
            env,
            timeoutMs: 120_000,
          });
          const firstSeconds = (performance.now() - t0) / 1000;
          expect(first.signal, 'the upload was still running after 120 s').toBeNull();
          expect(first.code).toBe(4);
          expect(first.stderr).toContain("the server's disk is full");
          expect(health['503'], JSON.stringify(health)).toBeGreaterThan(0);
          rmSync(path.join(dir, 'filler'));
          disk.grow('200m');
          const resume = await runCli(['resume', '--deadline', '120'], { env, timeoutMs: 180_000 });
          expect(resume.code, resume.stderr).toBe(0);
          const db = new Database(dbPath, { readonly: true });
          const n = db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT description) AS d FROM transactions').get();
          db.close();
          expect(n).toEqual({ n: ROWS, d: ROWS });
          console.log(
            `tiny disk: first run exit ${first.code} after ${firstSeconds.toFixed(1)} s, health ${JSON.stringify(health)}, WAL peak ${(walPeak / 1048576).toFixed(1)} MB; after the resume db ${(sizeOf(dbPath) / 1048576).toFixed(1)} MB, WAL ${(sizeOf(`${dbPath}-wal`) / 1048576).toFixed(1)} MB`,
          );
          // Once per outage, and once a minute for its relapses: however long the disk stayed full or flapped.
          const warnings = server.stderr().match(/"level":"warn".*store trouble/g) ?? [];
          console.log(`tiny disk: ${warnings.length} store warnings: ${warnings.map((w) => w.slice(-60)).join(' | ')}`);
          expect(warnings.length).toBeGreaterThanOrEqual(1);
          expect(warnings.length).toBeLessThanOrEqual(3);
          expect(server.stderr()).not.toMatch(/"level":"error"/);
        } finally {
          clearInterval(poll);
          await server.stop();
        }
      } finally {
        disk.unmount();
      }
    },
  );
});
