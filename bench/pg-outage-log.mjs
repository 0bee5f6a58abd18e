#!/usr/bin/env node
// Log lines one node writes during a PostgreSQL outage, as an operator counts them:
//   node bench/pg-outage-log.mjs [--seconds 22] [--bin bin/bulk.js] [--pg postgres://postgres@127.0.0.1:5432/test]
// The node reaches PostgreSQL through a TCP relay on loopback; while an upload runs (following its
// jobs by events, so the events poller is busy too), the relay is cut for --seconds (connections
// dropped, new ones refused) and then restored. Prints the node's lines at warn and above, by
// message, and the upload's exit code. The database itself is never touched.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { generateTransactions } from './transactions-generator.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const SECONDS = Number(args.seconds ?? 22);
const BIN = path.resolve(args.bin ?? path.join(import.meta.dirname, '../bin/bulk.js'));
const PG = new URL(args.pg ?? 'postgres://postgres@127.0.0.1:5432/test');
const work = mkdtempSync(path.join(os.tmpdir(), 'bulk-pg-outage-'));
const schema = `bulk_outage_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: PG.toString() });
await admin.connect();
await admin.query(`CREATE SCHEMA ${schema}`);

// The relay: up or down on command.
const sockets = new Set();
let up = true;
const relay = net.createServer((client) => {
  if (!up) return client.destroy();
  const server = net.connect(Number(PG.port || 5432), PG.hostname);
  for (const s of [client, server]) {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  }
  client.pipe(server).pipe(client);
  client.on('close', () => server.destroy());
  server.on('close', () => client.destroy());
});
await new Promise((r) => relay.listen(0, '127.0.0.1', r));
const via = new URL(PG.toString());
via.port = String(relay.address().port);
via.searchParams.set('options', `-c search_path=${schema}`);

const out = { seconds: SECONDS, bin: BIN };
try {
  const input = path.join(work, 'transactions.csv');
  await generateTransactions({ rows: 200_000, seed: 3, invalidShare: 0, format: 'csv', out: input });
  const node = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--db', via.toString(), '--quiet'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  node.stderr.on('data', (d) => (log += d));
  const url = await new Promise((resolve) => {
    let text = '';
    node.stdout.on('data', (d) => {
      text += d;
      const m = /listening on (\S+)/.exec(text);
      if (m) resolve(m[1]);
    });
  });
  const env = { PATH: process.env.PATH, HOME: work, XDG_STATE_HOME: work, XDG_DATA_HOME: work };
  const upload = new Promise((resolve) => {
    const p = spawn(
      process.execPath,
      [BIN, 'upload', input, '--url', url, '--batch-size', '5000', '--deadline', '120'],
      {
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    p.on('close', (code) => resolve(code));
  });
  await new Promise((r) => setTimeout(r, 1500));
  const before = log.length;
  up = false;
  for (const s of sockets) s.destroy();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  up = true;
  const during = log.slice(before);
  out.upload_exit = await upload;
  const count = (text, pick) => {
    const by = {};
    for (const line of text.trim().split('\n')) {
      try {
        const l = JSON.parse(line);
        if (pick(l)) by[`${l.level} ${l.msg}`] = (by[`${l.level} ${l.msg}`] ?? 0) + 1;
      } catch {
        // not a log line
      }
    }
    return by;
  };
  const serious = (l) => l.level === 'warn' || l.level === 'error' || l.level === 40 || l.level === 50;
  out.outage_warn_and_above = count(during, serious);
  out.outage_lines_total = during.trim().split('\n').filter(Boolean).length;
  out.whole_run_warn_and_above = count(log, serious);
  out.recovery_lines = count(log, (l) => /writes again/.test(l.msg ?? ''));
  node.kill('SIGTERM');
  await new Promise((r) => node.on('exit', r));
} finally {
  relay.close();
  for (const s of sockets) s.destroy();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
  rmSync(work, { recursive: true, force: true });
}
console.log(JSON.stringify(out, null, 1));
