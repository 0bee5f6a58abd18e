// CSV job bodies (ext), end to end through the spawned CLI: against `bulk serve` a canonical file's
// batches go as text/csv made of its own bytes, another CSV file's re-written as CSV, and against a
// server that does not describe its resources (the guide's only) as JSON arrays. Whichever body,
// the same rows are stored and the same lines fail.
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CsvSplitter } from '../../src/protocol/csv-splitter.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp.js';

interface Sent {
  method: string;
  url: string;
  type: string;
  body: Buffer;
}

/** A loopback proxy that keeps every bulk start request; `guideOnly` answers 404 to resource descriptions. */
async function recordingProxy(target: string, guideOnly: boolean) {
  const sent: Sent[] = [];
  const t = new URL(target);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (guideOnly && req.url?.startsWith('/api/resources')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
        return;
      }
      if (/\/bulk\/?(\?|$)/.test(req.url ?? ''))
        sent.push({ method: req.method ?? '', url: req.url ?? '', type: String(req.headers['content-type']), body });
      const up = http.request(
        {
          host: t.hostname,
          port: t.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: t.host },
        },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sent,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

const HEADER = 'account_id,amount,transaction_date,description,category';
/** Rows with every kind of value a canonical file holds, CRLF endings, a blank line, a ragged row and a bad amount. */
const ROWS = [
  '1001,10.00,2024-01-01,plain,food',
  '1002,20.50,2024-01-02,"with, comma",rent\r',
  '1003,30.00,2024-01-03,"quoted ""word"" and',
  'a line break",food',
  '',
  '1004,40.00,2024-01-04,ragged',
  '1005,x,2024-01-05,bad amount,food',
  '1006,60.00,2024-01-06,12" screen,tech',
  '1007,70.00,2024-01-07,last,food',
];

let server: RunningServer;
let dir: string;
beforeEach(async () => {
  dir = tempDir('bulk-csv-bodies-');
  server = await startServer({ port: 0, host: '127.0.0.1', database: path.join(dir, 'server.db') });
});
afterEach(async () => server?.close());

async function upload(file: string, url: string, extra: string[] = []) {
  const res = await runCli(['upload', file, '--resource', 'transactions', '--json', '--batch-size', '3', ...extra], {
    env: { BULK_URL: url, BULK_STATE_DIR: path.join(dir, 'state') },
  });
  return JSON.parse(res.stdout) as { exit_code: number; counts: Record<string, number> };
}

function stored(): string[] {
  const db = new Database(server.database, { readonly: true });
  try {
    return (
      db.prepare('SELECT description FROM transactions ORDER BY description').all() as { description: string }[]
    ).map((r) => r.description);
  } finally {
    db.close();
  }
}

function failedLines(file: string): number[] {
  const rows: string[][] = [];
  const splitter = new CsvSplitter(1 << 20);
  splitter.push(readFileSync(file.replace(/\.csv$/, '.failed.csv'), 'utf8'), rows);
  splitter.end(rows);
  const [header, ...rest] = rows;
  const at = header?.indexOf('_source_line') ?? -1;
  return rest.map((r) => Number(r[at])).sort((a, b) => a - b);
}

const EXPECTED_STORED = ['12" screen', 'last', 'plain', 'quoted "word" and\na line break', 'with, comma'];

describe('CSV job bodies', () => {
  it('a canonical file goes as its own bytes; the rows stored and failed are those of a JSON upload', async () => {
    const file = path.join(dir, 'canonical.csv');
    const text = `${HEADER}\n${ROWS.join('\n')}\n`;
    writeFileSync(file, text);
    const proxy = await recordingProxy(server.url, false);
    try {
      const doc = await upload(file, proxy.url);
      expect(doc.counts).toMatchObject({ read: 7, stored: 5, failed: 2 });
      expect(proxy.sent.map((s) => s.type)).toEqual(proxy.sent.map(() => 'text/csv'));
      // Each body is the header, then the file's own lines (CR, quotes and all).
      const first = proxy.sent.find((s) => s.body.includes('plain'));
      expect(first?.body.toString()).toBe(`${HEADER}\n${ROWS.slice(0, 4).join('\n')}\n`);
      expect(stored()).toEqual(EXPECTED_STORED);
      expect(failedLines(file)).toEqual([7, 8]);
    } finally {
      await proxy.close();
    }
  });

  it('a CSV file under --map is re-written as CSV; a guide-only server gets JSON arrays; the same outcome', async () => {
    const mapped = path.join(dir, 'mapped.csv');
    writeFileSync(mapped, `${HEADER.replace('description', 'desc')}\n${ROWS.join('\n')}\n`);
    const proxy = await recordingProxy(server.url, false);
    try {
      const doc = await upload(mapped, proxy.url, ['--map', 'desc=description']);
      expect(doc.counts).toMatchObject({ read: 7, stored: 5, failed: 2 });
      expect(new Set(proxy.sent.map((s) => s.type))).toEqual(new Set(['text/csv']));
      expect(proxy.sent[0]?.body.toString()).toMatch(/^account_id,amount,transaction_date,description,category\n/);
      expect(stored()).toEqual(EXPECTED_STORED);
      expect(failedLines(mapped)).toEqual([7, 8]);
    } finally {
      await proxy.close();
    }
    await server.close();
    server = await startServer({ port: 0, host: '127.0.0.1', database: path.join(dir, 'server2.db') });
    const file = path.join(dir, 'guide.csv');
    writeFileSync(file, `${HEADER}\n${ROWS.join('\n')}\n`);
    const guide = await recordingProxy(server.url, true);
    try {
      const doc = await upload(file, guide.url);
      expect(doc.counts).toMatchObject({ read: 7, stored: 5, failed: 2 });
      expect(new Set(guide.sent.map((s) => s.type))).toEqual(new Set(['application/json']));
      expect(Array.isArray(JSON.parse(guide.sent[0]?.body.toString() ?? ''))).toBe(true);
      expect(stored()).toEqual(EXPECTED_STORED);
      expect(failedLines(file)).toEqual([7, 8]);
    } finally {
      await guide.close();
    }
  });

  it('--null-value sends JSON for the batches that hold a null, CSV for the rest', async () => {
    const file = path.join(dir, 'nulls.csv');
    writeFileSync(file, `${HEADER}\n1001,1.00,2024-01-01,a,NULL\n1002,2.00,2024-01-02,b,food\n`);
    const proxy = await recordingProxy(server.url, false);
    try {
      const doc = await upload(file, proxy.url, ['--null-value', 'NULL', '--batch-size', '1']);
      expect(doc.counts).toMatchObject({ stored: 2, failed: 0 });
      expect(proxy.sent.map((s) => s.type).sort()).toEqual(['application/json', 'text/csv']);
    } finally {
      await proxy.close();
    }
  });
});
