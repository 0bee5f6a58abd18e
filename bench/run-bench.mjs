#!/usr/bin/env node
// npm run bench [-- --rows 300000 --runs 3 --quick --orders date,random --pg URL]
// The databases' own bulk loaders against `bulk`, in one run, on the same file: `sqlite3 .import`
// and `psql \copy` into tables with the same unique key (and a psql staging-table upsert), then
// `bulk upload` insert and upsert through `bulk serve` on SQLite and on PostgreSQL (1 and 3 nodes
// behind a round-robin proxy; 1 node behind the same proxy too, for the 3-vs-1 ratio), with rows in date order and in random key order. Prints each ratio
// as the median of the per-run ratios, and writes bench/out/results.{json,md}. `--quick`: 50k rows,
// one run. Needs sqlite3 and psql on PATH (apt-get install -y sqlite3 postgresql-client) and a
// PostgreSQL (BULK_BENCH_PG_URL, default the tests' local one); without one, its rows are skipped.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freshSchema, haveTool, log, median, pgAnswers, roundRobin, startProcess, timed } from './bench-procs.mjs';
import { writeInputs, writeNdjson } from './bench-inputs.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const out = path.join(root, 'bench', 'out');
const BIN = path.join(root, 'bin', 'bulk.js');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const opt = (name, def) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const QUICK = flag('quick');
const ROWS = Number(opt('rows', QUICK ? 50_000 : 300_000));
const RUNS = Number(opt('runs', QUICK ? 1 : 3));
const ORDERS = opt('orders', 'date,random').split(',');
/** Also measure the same inserts with JSON bodies (guide-only) and from NDJSON input, beside CSV. */
const BODIES = !flag('no-bodies');
const PG_URL = opt('pg', process.env.BULK_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
const KEY = 'account_id,transaction_date,description';
/** The unique index of the built-in resource, date first, as `bulk serve` creates it. */
const INDEX_COLS = 'transaction_date, account_id, description';
const COLS = 'account_id, amount, transaction_date, description, category';
mkdirSync(out, { recursive: true });

const HAVE_SQLITE = haveTool('sqlite3', ['-version']);
if (!HAVE_SQLITE) log('sqlite3 is not installed: its baseline is skipped (Debian/Ubuntu: apt-get install -y sqlite3)');
const HAVE_PSQL = haveTool('psql', ['--version']);
if (!HAVE_PSQL)
  log(
    'psql is not installed: the PostgreSQL baselines are skipped (Debian/Ubuntu: apt-get install -y postgresql-client)',
  );
const PG_UP = await pgAnswers(PG_URL);
if (!PG_UP) log(`PostgreSQL not reachable at ${PG_URL}: its rows are skipped (--pg URL or BULK_BENCH_PG_URL)`);

const env = { ...process.env, BULK_STATE_DIR: path.join(out, 'state'), NO_COLOR: '1' };

/** One `bulk upload` of the file through url; throws unless every row was stored. */
async function upload(file, url, upsert) {
  const args = [
    BIN,
    'upload',
    file,
    '--url',
    url,
    '--resource',
    'transactions',
    '--json',
    '--failed-rows-dir',
    out,
    ...(upsert ? ['--upsert', '--unique-fields', KEY] : []),
  ];
  const res = await timed(process.execPath, args, { env });
  const doc = JSON.parse(res.stdout);
  if (doc.counts.stored !== ROWS)
    throw new Error(`bulk ${upsert ? 'upsert' : 'insert'} stored ${doc.counts.stored} of ${ROWS}`);
  return { ms: res.ms, rss: res.rss, cpu: res.cpu };
}

/**
 * Insert then upsert of the same file through `bulk serve` nodes on one database; serverRss is the
 * nodes' highest peak. `insertOnly`: the insert alone; `guideOnly`: through a proxy that hides the
 * resource descriptions, so the batches go as JSON arrays instead of CSV.
 */
async function bulkPair(file, dbs, viaProxy = dbs.length > 1, { insertOnly = false, guideOnly = false } = {}) {
  const nodes = [];
  for (const db of dbs)
    nodes.push(
      await startProcess(
        process.execPath,
        [BIN, 'serve', '--port', '0', '--db', db, '--quiet', '--log-level', 'warn'],
        /listening on (\S+)/,
        env,
      ),
    );
  const lb =
    viaProxy || guideOnly
      ? await roundRobin(
          nodes.map((n) => n.url),
          { guideOnly },
        )
      : null;
  const url = lb?.url ?? nodes[0].url;
  const serverCpu = () => nodes.reduce((sum, n) => sum + (n.cpu() ?? NaN), 0);
  /** One upload, with the CPU seconds the nodes spent meanwhile beside the client's own. */
  const measured = async (upsert) => {
    const before = serverCpu();
    const res = await upload(file, url, upsert);
    return { ...res, serverCpu: serverCpu() - before };
  };
  let pair;
  try {
    pair = { insert: await measured(false), upsert: insertOnly ? undefined : await measured(true) };
  } finally {
    lb?.close();
    pair = { ...pair, peaks: await Promise.all(nodes.map((n) => n.stop())) };
  }
  return {
    insert: pair.insert,
    upsert: pair.upsert,
    serverRss: pair.peaks.includes(null) ? null : Math.max(...pair.peaks),
  };
}

async function sqliteImport(file, db) {
  for (const f of [db, `${db}-journal`]) rmSync(f, { force: true });
  await timed('sqlite3', [
    db,
    `CREATE TABLE transactions (account_id INTEGER, amount TEXT, transaction_date TEXT, description TEXT, category TEXT); CREATE UNIQUE INDEX k ON transactions (${INDEX_COLS});`,
  ]);
  return await timed('sqlite3', [db, '-cmd', `.import --csv --skip 1 ${file} transactions`]);
}

async function psqlPair(file) {
  const s = await freshSchema(PG_URL);
  try {
    const c = new pg.Client({ connectionString: s.url, application_name: 'bulk-bench' });
    await c.connect();
    await c.query(
      `CREATE TABLE transactions (account_id BIGINT, amount TEXT, transaction_date TEXT, description TEXT, category TEXT); CREATE UNIQUE INDEX k ON transactions (${INDEX_COLS})`,
    );
    await c.end();
    const copy = await timed('psql', [
      s.url,
      '-v',
      'ON_ERROR_STOP=1',
      '-q',
      '-c',
      `\\copy transactions (${COLS}) FROM '${file}' WITH (FORMAT csv, HEADER)`,
    ]);
    const script = path.join(out, 'staging-upsert.sql');
    writeFileSync(
      script,
      `BEGIN;
CREATE TEMP TABLE stage (account_id BIGINT, amount TEXT, transaction_date TEXT, description TEXT, category TEXT) ON COMMIT DROP;
\\copy stage (${COLS}) FROM '${file}' WITH (FORMAT csv, HEADER)
INSERT INTO transactions SELECT * FROM stage ON CONFLICT (${INDEX_COLS}) DO UPDATE SET amount = excluded.amount, category = excluded.category;
COMMIT;
`,
    );
    const upsert = await timed('psql', [s.url, '-v', 'ON_ERROR_STOP=1', '-q', '-f', script]);
    return { copy, upsert };
  } finally {
    await s.drop();
  }
}

async function withSchema(fn) {
  const s = await freshSchema(PG_URL);
  try {
    return await fn(s.url);
  } finally {
    await s.drop();
  }
}

/** Per run and order: every measurement, in ms (and RSS where known). */
const runs = [];
const inputs = await writeInputs(out, ROWS, ORDERS);
/** The same rows as NDJSON, for the JSON-bodies rows: an NDJSON input always goes as JSON arrays. */
const ndjsonOf = BODIES ? await writeNdjson(inputs) : {};
for (const order of ORDERS) {
  const file = inputs[order];
  for (let r = 0; r < RUNS; r++) {
    log(`== ${ROWS} rows, ${order} order, run ${r + 1}/${RUNS}`);
    const m = { order };
    if (HAVE_SQLITE) m.sqliteImport = await sqliteImport(file, path.join(out, 'import.db'));
    const db = path.join(out, 'serve.db');
    for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
    m.sqlite = await bulkPair(file, [db]);
    if (BODIES) {
      for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
      m.sqliteJson = await bulkPair(file, [db], false, { insertOnly: true, guideOnly: true });
    }
    if (PG_UP && HAVE_PSQL) m.psql = await psqlPair(file);
    if (PG_UP) {
      m.pg1 = await withSchema((url) => bulkPair(file, [url]));
      if (BODIES) {
        m.pg1Json = await withSchema((url) => bulkPair(file, [url], false, { insertOnly: true, guideOnly: true }));
        m.pg1Ndjson = await withSchema((url) => bulkPair(ndjsonOf[order], [url], false, { insertOnly: true }));
      }
      m.pg3 = await withSchema((url) => bulkPair(file, [url, url, url]));
      // One node behind the same proxy: the proxy shares the two cores too, so 3 nodes vs 1 compares nodes, not the proxy.
      m.pg1proxy = await withSchema((url) => bulkPair(file, [url], true));
    }
    log(
      `   ${JSON.stringify(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, typeof v === 'object' ? summary(v) : v])))}`,
    );
    runs.push(m);
  }
}

function summary(v) {
  if ('ms' in v) return Math.round(v.ms);
  return Object.fromEntries(
    Object.entries(v)
      .filter(([, x]) => x && typeof x === 'object')
      .map(([k, x]) => [k, Math.round(x.ms)]),
  );
}

/** Rows: what, the reference, bulk, target ratio. Each figure is the median over runs of that order. */
const WORK = [
  {
    work: 'SQLite insert',
    ref: 'sqlite3 .import',
    refOf: (m) => m.sqliteImport,
    bulkOf: (m) => m.sqlite?.insert,
    target: 3,
    rss: (m) => m.sqlite,
  },
  {
    work: 'SQLite upsert',
    ref: 'bulk SQLite insert',
    refOf: (m) => m.sqlite?.insert,
    bulkOf: (m) => m.sqlite?.upsert,
    target: 1,
    rss: (m) => m.sqlite,
  },
  {
    work: 'PostgreSQL insert, 1 node',
    ref: 'psql \\copy',
    refOf: (m) => m.psql?.copy,
    bulkOf: (m) => m.pg1?.insert,
    target: 2,
    rss: (m) => m.pg1,
  },
  {
    work: 'PostgreSQL upsert, 1 node',
    ref: 'psql staging upsert',
    refOf: (m) => m.psql?.upsert,
    bulkOf: (m) => m.pg1?.upsert,
    target: 2,
    rss: (m) => m.pg1,
  },
  {
    work: 'PostgreSQL insert, 3 nodes',
    ref: 'psql \\copy',
    refOf: (m) => m.psql?.copy,
    bulkOf: (m) => m.pg3?.insert,
    target: 2,
    rss: (m) => m.pg3,
  },
  {
    work: 'PostgreSQL upsert, 3 nodes',
    ref: 'psql staging upsert',
    refOf: (m) => m.psql?.upsert,
    bulkOf: (m) => m.pg3?.upsert,
    target: 2,
    rss: (m) => m.pg3,
  },
  {
    work: 'SQLite insert, JSON bodies',
    ref: 'sqlite3 .import',
    refOf: (m) => m.sqliteImport,
    bulkOf: (m) => m.sqliteJson?.insert,
    target: 3,
    rss: (m) => m.sqliteJson,
  },
  {
    work: 'PostgreSQL insert, 1 node, JSON bodies',
    ref: 'psql \\copy',
    refOf: (m) => m.psql?.copy,
    bulkOf: (m) => m.pg1Json?.insert,
    target: 2,
    rss: (m) => m.pg1Json,
  },
  {
    work: 'PostgreSQL insert, 1 node, NDJSON input',
    ref: 'psql \\copy',
    refOf: (m) => m.psql?.copy,
    bulkOf: (m) => m.pg1Ndjson?.insert,
    target: 2,
    rss: (m) => m.pg1Ndjson,
  },
  {
    work: 'CSV against JSON bodies, SQLite insert',
    ref: 'bulk, JSON bodies',
    refOf: (m) => m.sqliteJson?.insert,
    bulkOf: (m) => m.sqlite?.insert,
    target: 1,
    rss: () => null,
  },
  {
    work: 'CSV against JSON bodies, PostgreSQL insert',
    ref: 'bulk, JSON bodies',
    refOf: (m) => m.pg1Json?.insert,
    bulkOf: (m) => m.pg1?.insert,
    target: 1,
    rss: () => null,
  },
  {
    work: 'PostgreSQL insert, 3 nodes vs 1',
    ref: 'bulk 1 node, same proxy',
    refOf: (m) => m.pg1proxy?.insert,
    bulkOf: (m) => m.pg3?.insert,
    target: 1,
    rss: () => null,
  },
  {
    work: 'PostgreSQL upsert, 3 nodes vs 1',
    ref: 'bulk 1 node, same proxy',
    refOf: (m) => m.pg1proxy?.upsert,
    bulkOf: (m) => m.pg3?.upsert,
    target: 1,
    rss: () => null,
  },
];

const mb = (b) => (b === null || b === undefined || Number.isNaN(b) ? '-' : String(Math.round(b / 1048576)));
const cpuText = (x) => (x === undefined || x === null || Number.isNaN(x) ? '-' : x.toFixed(1));
/** CPU seconds as microseconds per row. */
const perRow = (s) => (s === undefined || s === null || Number.isNaN(s) ? '-' : ((s * 1e6) / ROWS).toFixed(1));
const sec = (ms) => (ms === undefined ? '-' : (ms / 1000).toFixed(2));
const table = [];
for (const order of ORDERS) {
  const mine = runs.filter((m) => m.order === order);
  for (const w of WORK) {
    const pairs = mine.map((m) => [w.refOf(m), w.bulkOf(m)]).filter(([a, b]) => a && b);
    if (pairs.length === 0) continue;
    const ratio = median(pairs.map(([a, b]) => b.ms / a.ms));
    const bulkMs = median(pairs.map(([, b]) => b.ms));
    const holders = mine.map(w.rss).filter(Boolean);
    table.push({
      work: w.work,
      order,
      reference: w.ref,
      refS: sec(median(pairs.map(([a]) => a.ms))),
      bulkS: sec(bulkMs),
      rowsPerSecond: Math.round(ROWS / (bulkMs / 1000)),
      ratio: Number(ratio.toFixed(2)),
      target: w.target,
      met: ratio <= w.target,
      clientMb: mb(median(pairs.map(([, b]) => b.rss ?? NaN))),
      clientCpu: cpuText(median(pairs.map(([, b]) => b.cpu ?? NaN))),
      serverCpu: cpuText(median(pairs.map(([, b]) => b.serverCpu ?? NaN))),
      clientUs: perRow(median(pairs.map(([, b]) => b.cpu ?? NaN))),
      serverUs: perRow(median(pairs.map(([, b]) => b.serverCpu ?? NaN))),
      serverMb: holders.length && holders[0].serverRss !== null ? mb(median(holders.map((h) => h.serverRss))) : '-',
    });
  }
}

const lines = [
  '| work | order | reference | reference s | bulk s | bulk rows/s | ratio | target | client MB | server MB | client CPU s | server CPU s | client µs/row | node µs/row |',
  '|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|',
  ...table.map(
    (t) =>
      `| ${t.work} | ${t.order} | ${t.reference} | ${t.refS} | ${t.bulkS} | ${t.rowsPerSecond} | ${t.ratio.toFixed(2)}× | ≤ ${t.target}× ${t.met ? 'met' : '**not met**'} | ${t.clientMb} | ${t.serverMb} | ${t.clientCpu} | ${t.serverCpu} | ${t.clientUs} | ${t.serverUs} |`,
  ),
];
// What a client costs before its first row: starting node and loading bulk (in every client CPU figure).
const startCpu = (await timed(process.execPath, [BIN, '--version'], { env })).cpu;
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 1073741824)} GiB, node ${process.version}, load ${os
  .loadavg()
  .map((l) => l.toFixed(1))
  .join(' ')}`;
const text = `${lines.join('\n')}\n\n${ROWS} rows; ratios are medians of ${RUNS} per-run ratio(s); server MB is the highest node's peak over its insert and upsert; CPU s is user + system, server CPU summed over the nodes (the rest of a bulk run's time is the database's and waiting); µs/row is that CPU over ${ROWS} rows, the client's including ${cpuText(startCpu)} s of starting up (\`bulk --version\`).\nMachine: ${machine}\n`;
process.stdout.write(text);
writeFileSync(
  path.join(out, 'results.json'),
  JSON.stringify({ date: new Date().toISOString(), machine, rows: ROWS, runs: RUNS, table, raw: runs }, null, 2),
);
writeFileSync(path.join(out, 'results.md'), text);
