#!/usr/bin/env node
// The issue-25 disk-full run, as an operator would try it (root: it mounts a tmpfs):
//   node bench/tiny-disk-scenario.mjs [--rows 300000] [--disk 20m] [--filler-mb 8] [--deadline 30]
// A `bulk serve` on a small tmpfs with a filler file, an upload that fills the disk, health polled
// all along; then the filler removed, the mount grown and the upload resumed. Prints one JSON line.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateTransactions } from './transactions-generator.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const ROWS = Number(args.rows ?? 300_000);
const BIN = path.resolve(import.meta.dirname, '../bin/bulk.js');
const work = mkdtempSync(path.join(os.tmpdir(), 'bulk-tiny-disk-'));
const disk = path.join(work, 'disk');
mkdirSync(disk);
execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${args.disk ?? '20m'}`, 'tmpfs', disk]);
const sizeOf = (f) => (existsSync(f) ? statSync(f).size : 0);
const mb = (n) => Math.round((n / 1048576) * 10) / 10;
const out = { rows: ROWS };
try {
  writeFileSync(path.join(disk, 'filler'), Buffer.alloc(Number(args['filler-mb'] ?? 8) * 1048576));
  const input = path.join(work, 'transactions.csv');
  await generateTransactions({ rows: ROWS, seed: 25, invalidShare: 0, format: 'csv', out: input });
  const db = path.join(disk, 'bulk.db');
  const server = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--db', db], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  server.stderr.on('data', (d) => (log += d));
  const url = await new Promise((resolve) => {
    let text = '';
    server.stdout.on('data', (d) => {
      text += d;
      const m = /listening on (\S+)/.exec(text);
      if (m) resolve(m[1]);
    });
  });
  const health = {};
  let walPeak = 0;
  const poll = setInterval(async () => {
    walPeak = Math.max(walPeak, sizeOf(`${db}-wal`));
    try {
      const s = (await fetch(`${url}/api/health/`)).status;
      health[s] = (health[s] ?? 0) + 1;
    } catch {
      health.error = (health.error ?? 0) + 1;
    }
  }, 250);
  const cli = (argv) =>
    new Promise((resolve) => {
      const t0 = Date.now();
      const env = { PATH: process.env.PATH, HOME: work, XDG_STATE_HOME: work, XDG_DATA_HOME: work };
      const p = spawn(process.execPath, [BIN, ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      p.on('close', (code) => resolve({ code, seconds: (Date.now() - t0) / 1000, stdout, stderr }));
    });
  const deadline = String(args.deadline ?? 30);
  const first = await cli(['upload', input, '--url', url, '--deadline', deadline, '--json']);
  const lastLines = (t) => t.trim().split('\n').slice(-3).join(' | ').slice(0, 600);
  out.first = { exit: first.code, seconds: first.seconds, says: lastLines(first.stderr) };
  out.health_during = { ...health };
  out.wal_mb_peak = mb(walPeak);
  out.wal_mb_after_first = mb(sizeOf(`${db}-wal`));
  out.db_mb_after_first = mb(sizeOf(db));
  rmSync(path.join(disk, 'filler'));
  execFileSync('mount', ['-o', 'remount,size=200m', disk]);
  for (const k of Object.keys(health)) delete health[k];
  const resume = await cli(['resume', '--deadline', '120', '--json']);
  out.resume = { exit: resume.code, seconds: resume.seconds, says: lastLines(resume.stderr) };
  out.health_after = { ...health };
  clearInterval(poll);
  const stored = execFileSync('sqlite3', [db, 'SELECT COUNT(*), COUNT(DISTINCT description) FROM transactions']);
  out.stored = String(stored).trim();
  out.wal_mb_end = mb(sizeOf(`${db}-wal`));
  out.db_mb_end = mb(sizeOf(db));
  const lines = log
    .trim()
    .split('\n')
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return {};
      }
    });
  const byLevel = {};
  for (const l of lines)
    if (l.msg !== 'request') byLevel[`${l.level} ${l.msg}`] = (byLevel[`${l.level} ${l.msg}`] ?? 0) + 1;
  out.server_log = byLevel;
  server.kill('SIGTERM');
  await new Promise((r) => server.on('exit', r));
} finally {
  execFileSync('umount', ['-l', disk]);
  rmSync(work, { recursive: true, force: true });
}
console.log(JSON.stringify(out, null, 1));
