#!/usr/bin/env node
// npm run bench [-- --runs 3 --large --quick]
// Generates inputs under bench/out/ (never committed), measures baselines and bulk in one run,
// prints one table and writes bench/out/results.json. Needs `npm run build` first (npm run bench does it).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateTransactions } from './transactions-generator.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const out = path.join(root, 'bench', 'out');
const BIN = path.join(root, 'bin', 'bulk.js');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const opt = (name, def) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const RUNS = Number(opt('runs', flag('quick') ? 1 : 3));
const SIZES = flag('quick') ? [100_000] : [100_000, 1_000_000, ...(flag('large') ? [5_000_000] : [])];
const FORMATS = ['csv', 'ndjson', 'json'];
const PY_ROWS = 20_000;
mkdirSync(out, { recursive: true });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);

/** Runs a command, returning wall ms and peak RSS (from /usr/bin/time -v when present, else none). */
function timed(cmd, args, opts = {}) {
  const useTime = existsSync('/usr/bin/time');
  const full = useTime ? ['/usr/bin/time', ['-v', cmd, ...args]] : [cmd, args];
  const t0 = process.hrtime.bigint();
  const res = spawnSync(full[0], full[1], { encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const rss = useTime ? Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(res.stderr)?.[1] ?? 0) * 1024 : null;
  return { ms, rss, stdout: res.stdout, stderr: res.stderr, status: res.status };
}

/** Starts a server process and reads its peak RSS from /proc when it is stopped. */
async function startProcess(cmd, args, ready) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const url = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      text += d;
      const m = ready.exec(text);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`${cmd} exited ${code}`)));
  });
  return {
    url,
    async stop() {
      let hwm = null;
      try {
        hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]) * 1024;
      } catch {
        // no /proc here: report no server figure rather than fail the run
      }
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
      return hwm;
    },
  };
}

const rows = [];
function record(row) {
  rows.push(row);
  log(`  ${row.name} ${row.format} ${row.rows}: ${row.rowsPerSecond ?? '-'} rows/s`);
}

async function measureBulkRemote(file, format, n) {
  const results = [];
  for (let r = 0; r < RUNS; r++) {
    const db = path.join(out, `serve-${format}-${n}-${r}.db`);
    for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
    const server = await startProcess(process.execPath, [BIN, 'serve', '--port', '0', '--db', db, '--quiet'], /listening on (\S+)/);
    const res = timed(process.execPath, [BIN, 'upload', file, '--url', server.url, '--resource', 'transactions', '--json', '--failed-rows-dir', out], { env: { ...process.env, BULK_STATE_DIR: path.join(out, 'state') } });
    const serverRss = await server.stop();
    const doc = JSON.parse(res.stdout);
    if (doc.counts.stored !== n) throw new Error(`bulk stored ${doc.counts.stored} of ${n}`);
    results.push({ ms: res.ms, rss: res.rss, serverRss });
  }
  return summarise(results, n);
}

async function measureBulkEmbedded(file, format, n) {
  const results = [];
  for (let r = 0; r < RUNS; r++) {
    const db = path.join(out, `embedded-${format}-${n}-${r}.db`);
    for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
    const res = timed(process.execPath, [BIN, 'upload', file, '--db', db, '--resource', 'transactions', '--json', '--failed-rows-dir', out], { env: { ...process.env, BULK_STATE_DIR: path.join(out, 'state'), BULK_URL: '' } });
    const doc = JSON.parse(res.stdout);
    if (doc.counts.stored !== n) throw new Error(`embedded bulk stored ${doc.counts.stored} of ${n}`);
    results.push({ ms: res.ms, rss: res.rss, serverRss: null });
  }
  return summarise(results, n);
}

async function measureNaive(file, n) {
  const results = [];
  for (let r = 0; r < RUNS; r++) {
    const db = path.join(out, `naive-${n}-${r}.db`);
    for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
    const server = await startProcess(process.execPath, [path.join(root, 'bench', 'naive-pipeline.mjs'), 'server', '--db', db], /listening (\d+)/);
    const res = timed(process.execPath, [path.join(root, 'bench', 'naive-pipeline.mjs'), 'client', '--url', `http://127.0.0.1:${server.url}`, '--file', file]);
    const serverRss = await server.stop();
    results.push({ ms: res.ms, rss: res.rss, serverRss });
  }
  return summarise(results, n);
}

function measureSqliteImport(file, n) {
  const which = spawnSync('sqlite3', ['-version'], { encoding: 'utf8' });
  if (which.status !== 0) {
    log('  sqlite3 not installed: skipping the .import baseline (apt-get install sqlite3)');
    return null;
  }
  const results = [];
  for (let r = 0; r < RUNS; r++) {
    const db = path.join(out, `import-${n}-${r}.db`);
    rmSync(db, { force: true });
    const res = timed('sqlite3', [db, '-cmd', '.mode csv', `.import ${file} t`]);
    results.push({ ms: res.ms, rss: res.rss, serverRss: null });
  }
  return summarise(results, n);
}

async function measurePythonGuide(file, n) {
  const probe = spawnSync('python3', ['-c', 'import requests'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    log('  python3 with requests missing: skipping the guide-client baseline');
    return null;
  }
  const results = [];
  for (let r = 0; r < RUNS; r++) {
    const db = path.join(out, `guide-${r}.db`);
    for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
    const server = await startProcess(process.execPath, [BIN, 'serve', '--port', '0', '--db', db, '--quiet'], /listening on (\S+)/);
    const script = `
import csv, sys
sys.path.insert(0, ${JSON.stringify(path.join(root, 'test', 'guide-client'))})
from guide_snippets import process_large_dataset
rows = list(csv.DictReader(open(${JSON.stringify(file)})))
process_large_dataset(${JSON.stringify(server.url)}, rows, batch_size=100)
`;
    const res = timed('python3', ['-c', script]);
    const serverRss = await server.stop();
    if (res.status !== 0) throw new Error(`guide client failed: ${res.stderr.slice(-500)}`);
    results.push({ ms: res.ms, rss: res.rss, serverRss });
  }
  return summarise(results, n);
}

function summarise(results, n) {
  const ms = median(results.map((r) => r.ms));
  return {
    ms: Math.round(ms),
    rowsPerSecond: Math.round((n / ms) * 1000),
    clientRss: results[0].rss === null ? null : median(results.map((r) => r.rss)),
    serverRss: results[0].serverRss === null ? null : median(results.map((r) => r.serverRss)),
  };
}

function startupMs(args) {
  const times = [];
  for (let i = 0; i < 10; i++) {
    const t0 = process.hrtime.bigint();
    spawnSync(process.execPath, [BIN, ...args]);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return Math.round(median(times));
}

const inputs = {};
for (const n of SIZES) {
  for (const format of FORMATS) {
    const file = path.join(out, `transactions-${n}.${format}`);
    if (!existsSync(file)) {
      log(`generating ${file}`);
      await generateTransactions({ rows: n, seed: 1, format, out: file });
    }
    inputs[`${n}.${format}`] = file;
  }
}
const pyFile = path.join(out, `transactions-${PY_ROWS}.csv`);
if (!existsSync(pyFile)) await generateTransactions({ rows: PY_ROWS, seed: 1, format: 'csv', out: pyFile });

for (const n of SIZES) {
  const csv = inputs[`${n}.csv`];
  log(`== ${n} rows, ${RUNS} run(s) each`);
  const naive = await measureNaive(csv, n);
  record({ name: 'baseline 2: naive pipeline', format: 'csv', rows: n, ...naive, ratio: 1 });
  const imp = measureSqliteImport(csv, n);
  if (imp) record({ name: 'baseline 1: sqlite3 .import', format: 'csv', rows: n, ...imp, ratio: imp.rowsPerSecond / naive.rowsPerSecond });
  for (const format of FORMATS) {
    const remote = await measureBulkRemote(inputs[`${n}.${format}`], format, n);
    record({ name: 'bulk upload → bulk serve', format, rows: n, ...remote, ratio: remote.rowsPerSecond / naive.rowsPerSecond, vsImport: imp ? remote.ms / imp.ms : null });
  }
  for (const format of FORMATS) {
    const embedded = await measureBulkEmbedded(inputs[`${n}.${format}`], format, n);
    record({ name: 'bulk upload (embedded)', format, rows: n, ...embedded, ratio: embedded.rowsPerSecond / naive.rowsPerSecond });
  }
}
log(`== guide client vs bulk, ${PY_ROWS} rows`);
const py = await measurePythonGuide(pyFile, PY_ROWS);
const bulkPy = await measureBulkRemote(pyFile, 'csv', PY_ROWS);
if (py) record({ name: "baseline 3: the guide's Python client", format: 'csv', rows: PY_ROWS, ...py, ratio: null });
record({ name: 'bulk upload → bulk serve', format: 'csv', rows: PY_ROWS, ...bulkPy, ratio: null, vsGuide: py ? bulkPy.rowsPerSecond / py.rowsPerSecond : null });

const startup = { version: startupMs(['--version']), help: startupMs(['--help']) };
const mb = (b) => (b === null || b === undefined ? '-' : `${Math.round(b / 1048576)}`);
const fmt = (x, d = 2) => (x === null || x === undefined ? '-' : x.toFixed(d));
const lines = [
  `| run | format | rows | rows/s | wall s | client MB | server MB | × naive | other |`,
  `|---|---|---:|---:|---:|---:|---:|---:|---|`,
  ...rows.map((r) => `| ${r.name} | ${r.format} | ${r.rows} | ${r.rowsPerSecond} | ${fmt(r.ms / 1000)} | ${mb(r.clientRss)} | ${mb(r.serverRss)} | ${fmt(r.ratio)} | ${r.vsImport ? `${fmt(r.vsImport)}× import time` : r.vsGuide ? `${fmt(r.vsGuide, 1)}× the guide client` : ''} |`),
];
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 1073741824)} GiB, node ${process.version}`;
const text = `${lines.join('\n')}\n\nCLI start-up (median of 10): bulk --version ${startup.version} ms, bulk --help ${startup.help} ms\nMachine: ${machine}; medians of ${RUNS} run(s)\n`;
process.stdout.write(text);
writeFileSync(path.join(out, 'results.json'), JSON.stringify({ date: new Date().toISOString(), machine, runs: RUNS, startup, rows }, null, 2));
writeFileSync(path.join(out, 'results.md'), text);
