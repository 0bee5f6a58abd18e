#!/usr/bin/env node
// Baseline 2 of the benchmark: the naive pipeline bulk must beat. csv-parse to objects → 1000-row
// JSON POSTs, 4 at a time → node:http → better-sqlite3 inserts in one transaction per request.
// No validation, no jobs, no progress, no durability beyond SQLite's defaults.
//   node bench/naive-pipeline.mjs server --db /tmp/naive.db        (prints "listening <port>")
//   node bench/naive-pipeline.mjs client --url http://127.0.0.1:PORT --file t.csv
import http from 'node:http';
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import Database from 'better-sqlite3';

const args = Object.fromEntries(process.argv.slice(3).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));

if (process.argv[2] === 'server') {
  const db = new Database(args.db ?? ':memory:');
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE IF NOT EXISTS t (account_id INTEGER, amount TEXT, transaction_date TEXT, description TEXT, category TEXT)');
  const insert = db.prepare('INSERT INTO t VALUES (@account_id, @amount, @transaction_date, @description, @category)');
  const insertMany = db.transaction((rows) => {
    for (const r of rows) insert.run({ account_id: r.account_id, amount: r.amount, transaction_date: r.transaction_date, description: r.description ?? null, category: r.category ?? null });
  });
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const rows = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      insertMany(rows);
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ inserted: rows.length }));
    });
  });
  server.listen(Number(args.port ?? 0), '127.0.0.1', () => console.log(`listening ${server.address().port}`));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
} else if (process.argv[2] === 'client') {
  const url = new URL(args.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const post = (rows) =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify(rows);
      const req = http.request({ host: url.hostname, port: url.port, path: '/bulk', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(body);
    });
  const inflight = new Set();
  let batch = [];
  let rows = 0;
  const started = Date.now();
  const parser = createReadStream(args.file).pipe(parse({ columns: true, bom: true }));
  for await (const record of parser) {
    batch.push(record);
    rows++;
    if (batch.length === 1000) {
      const p = post(batch).finally(() => inflight.delete(p));
      inflight.add(p);
      batch = [];
      if (inflight.size >= 4) await Promise.race(inflight);
    }
  }
  if (batch.length) inflight.add(post(batch));
  await Promise.all(inflight);
  agent.destroy();
  const ms = Date.now() - started;
  console.log(JSON.stringify({ rows, ms, rows_per_second: Math.round((rows / ms) * 1000) }));
} else {
  console.error('usage: naive-pipeline.mjs server|client ...');
  process.exit(2);
}
