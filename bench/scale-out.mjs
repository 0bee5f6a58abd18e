#!/usr/bin/env node
// node bench/scale-out.mjs [--rows 300000] [--pg postgres://postgres@127.0.0.1:5432/test]
// Rows/s of one CLI upload through a round-robin loopback proxy to 1, 2 and 3 `bulk serve` nodes on
// one PostgreSQL schema (a fresh one per run, dropped after), and to one node on SQLite, for
// comparison. Needs `npm run build` first. Server rows/s: from the first job created to the last
// job completed, as the database records them (second resolution, so use enough rows).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { roundRobin } from './bench-procs.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const BIN = path.join(root, 'bin', 'bulk.js');
const argv = process.argv.slice(2);
const opt = (name, def) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const ROWS = Number(opt('rows', 300_000));
const PG_URL = opt('pg', 'postgres://postgres@127.0.0.1:5432/test');
const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);

function serve(db) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--quiet', '--db', db], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const m = /listening on (http:\S+)/.exec(out);
      if (m)
        resolve({
          url: m[1],
          stop: () =>
            new Promise((r) => {
              proc.on('exit', r);
              proc.kill('SIGTERM');
            }),
        });
    });
    proc.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
}

function upload(file, url) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(
      process.execPath,
      [BIN, 'upload', file, '--url', url, '--batch-size', '10000', '--concurrency', '8', '--no-events', '--json'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) =>
      code === 0
        ? resolve({ ms: performance.now() - t0, result: JSON.parse(out) })
        : reject(new Error(`upload exited ${code}`)),
    );
  });
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'bulk-scale-'));
const file = path.join(dir, 'transactions.csv');
const lines = ['account_id,amount,transaction_date,description'];
for (let i = 0; i < ROWS; i++)
  lines.push(
    `${1000 + (i % 500)},${(i % 9999) + 1}.25,2024-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')},scale-row-${i}`,
  );
writeFileSync(file, `${lines.join('\n')}\n`);

const results = [];
async function run(label, dbs) {
  const nodes = await Promise.all(dbs.map(serve));
  const lb = await roundRobin(nodes.map((n) => n.url));
  const { ms, result } = await upload(file, lb.url);
  lb.close();
  await Promise.all(nodes.map((n) => n.stop()));
  if (result.counts.stored !== ROWS) throw new Error(`${label}: stored ${result.counts.stored} of ${ROWS}`);
  const row = {
    setup: label,
    rows: ROWS,
    seconds: +(ms / 1000).toFixed(2),
    rows_per_s: Math.round(ROWS / (ms / 1000)),
  };
  results.push(row);
  log(JSON.stringify(row));
}

await run('SQLite, 1 node', [path.join(dir, 'bench.db')]);
for (const n of [1, 2, 3]) {
  const schema = `bulk_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  try {
    await run(`PostgreSQL, ${n} node${n > 1 ? 's' : ''}`, Array(n).fill(url));
  } finally {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}
rmSync(dir, { recursive: true, force: true });
console.log('| setup | rows | seconds | rows/s |\n|---|---:|---:|---:|');
for (const r of results) console.log(`| ${r.setup} | ${r.rows} | ${r.seconds} | ${r.rows_per_s} |`);
