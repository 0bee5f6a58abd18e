import net from 'node:net';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTokens } from '../../src/server/auth/tokens.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { call, tx, waitForFinal } from '../helpers/http.js';
import { runCli } from '../helpers/run-cli.js';
import { spawnServer } from '../helpers/server-process.js';
import { tempDir } from '../helpers/temp.js';
import { waitUntil } from '../helpers/wait-until.js';

const TOKEN_A = 'alpha-token-0123456789abcdef';
const TOKEN_B = 'bravo-token-0123456789abcdef';
const auth = (t: string) => ({ authorization: `Bearer ${t}` });

let server: RunningServer;
let dir: string;
beforeAll(async () => {
  dir = tempDir();
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    database: path.join(dir, 'trust.db'),
    tokens: parseTokens(`alice ${TOKEN_A}\nbob ${TOKEN_B}`, 'test'),
    retentionMs: 1500,
  });
});
afterAll(async () => server?.close());

describe('tokens and isolation', () => {
  it('401 with one body for a missing, wrong or near-miss token; health needs none', async () => {
    const bodies = new Set<string>();
    for (const headers of [
      {},
      auth('nope-nope-nope-nope-nope'),
      auth(`${TOKEN_A.slice(0, -1)}X`),
      { authorization: `Basic ${TOKEN_A}` },
    ]) {
      const res = await call(server.url, 'POST', '/api/transactions/bulk/', { body: [tx(1)], headers });
      expect(res.status).toBe(401);
      bodies.add(res.text);
    }
    expect(bodies.size).toBe(1);
    expect((await call(server.url, 'GET', '/api/health/')).status).toBe(200);
  });

  it('a job is visible only to its token: the other gets 404 and an empty list', async () => {
    const start = await call(server.url, 'POST', '/api/transactions/bulk/', { body: [tx(1)], headers: auth(TOKEN_A) });
    expect(start.status).toBe(202);
    const id = String(start.body.job_id);
    const asToken = await call(server.url, 'GET', `/api/jobs/${id}/status/`, {
      headers: { authorization: `Token ${TOKEN_A}` },
    });
    expect(asToken.status).toBe(200);
    for (const path of ['status', 'aggregates', 'errors', 'events']) {
      const res = await call(server.url, 'GET', `/api/jobs/${id}/${path}/`, { headers: auth(TOKEN_B) });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'Job not found' });
    }
    expect((await call(server.url, 'POST', `/api/jobs/${id}/abort/`, { headers: auth(TOKEN_B) })).status).toBe(404);
    const listB = await call<{ jobs: unknown[] }>(server.url, 'GET', '/api/jobs/', { headers: auth(TOKEN_B) });
    expect(listB.body.jobs).toEqual([]);
    const listA = await call<{ jobs: { job_id: string }[] }>(server.url, 'GET', '/api/jobs/', {
      headers: auth(TOKEN_A),
    });
    expect(listA.body.jobs.map((j) => j.job_id)).toContain(id);
  });

  it('an idempotency key of one token does not replay for another', async () => {
    const key = 'shared-key';
    const a = await call(server.url, 'POST', '/api/transactions/bulk/', {
      body: [tx(50)],
      headers: { ...auth(TOKEN_A), 'idempotency-key': key },
    });
    const b = await call(server.url, 'POST', '/api/transactions/bulk/', {
      body: [tx(51)],
      headers: { ...auth(TOKEN_B), 'idempotency-key': key },
    });
    expect(b.status).toBe(202);
    expect(b.body.job_id).not.toBe(a.body.job_id);
  });

  it('finished jobs expire after the retention time: 404 Job not found', async () => {
    const start = await call(server.url, 'POST', '/api/transactions/bulk/', { body: [tx(77)], headers: auth(TOKEN_A) });
    const id = String(start.body.job_id);
    expect((await waitForFinal(server.url, id, 10_000, auth(TOKEN_A))).state).toBe('Job Complete');
    let status = 200;
    await waitUntil(
      () => `job ${id} to expire; last status code ${status}`,
      async () => {
        status = (await call(server.url, 'GET', `/api/jobs/${id}/status/`, { headers: auth(TOKEN_A) })).status;
        return status !== 200;
      },
      { timeoutMs: 10_000, intervalMs: 250 },
    );
    expect(status).toBe(404);
  });

  it('refuses to listen beyond loopback without tokens', async () => {
    await expect(startServer({ port: 0, host: '0.0.0.0', database: path.join(dir, 'x.db') })).rejects.toThrow(
      /refusing to listen on 0\.0\.0\.0 without tokens/,
    );
    const res = await runCli(['serve', '--host', '0.0.0.0', '--port', '0', '--db', path.join(dir, 'y.db')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/refusing to listen/);
  });
});

describe('the CLI with tokens', () => {
  it('uploads with BULK_TOKEN; a wrong token exits 3 and no output ever shows a token', async () => {
    const file = path.join(dir, 'tok.csv');
    writeFileSync(file, 'account_id,amount,transaction_date,description\n1,1.00,2024-01-01,tok-1\n');
    const ok = await runCli(['upload', file, '--resource', 'transactions', '-vv'], {
      env: { BULK_URL: server.url, BULK_TOKEN: TOKEN_B, BULK_STATE_DIR: path.join(dir, 's') },
    });
    expect(ok.code, ok.stderr).toBe(0);
    const bad = await runCli(['upload', file, '--resource', 'transactions', '-vv', '--json'], {
      env: { BULK_URL: server.url, BULK_TOKEN: `${TOKEN_B}x`, BULK_STATE_DIR: path.join(dir, 's') },
    });
    expect(bad.code).toBe(3);
    expect(JSON.parse(bad.stdout).message).toMatch(/Authentication/);
    for (const out of [ok.stdout, ok.stderr, bad.stdout, bad.stderr]) {
      expect(out).not.toContain(TOKEN_B);
      expect(out).not.toContain('alpha-token');
    }
  });
});

describe('a real server process', () => {
  it('logs one JSON line per request, without the token', async () => {
    const tokenFile = path.join(dir, 'tokens');
    writeFileSync(tokenFile, `# team tokens\nalice ${TOKEN_A}\n`);
    const proc = await spawnServer(['--db', path.join(dir, 'log.db'), '--token-file', tokenFile]);
    await call(proc.url, 'POST', '/api/transactions/bulk/', { body: [tx(1)], headers: auth(TOKEN_A) });
    await call(proc.url, 'GET', '/api/jobs/', { headers: auth(TOKEN_A) });
    expect(await proc.stop()).toBe(0);
    const lines = proc
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    const entries = lines.map(
      (l) => JSON.parse(l) as { method: string; path: string; status: number; ms: number; job_id?: string },
    );
    expect(entries.find((e) => e.method === 'POST')).toMatchObject({
      path: '/api/transactions/bulk/',
      status: 202,
      job_id: expect.any(String),
    });
    expect(entries.find((e) => e.method === 'GET')).toMatchObject({
      path: '/api/jobs/',
      status: 200,
      ms: expect.any(Number),
    });
    expect(proc.stderr()).not.toContain(TOKEN_A);
  });

  it('slow-drip connections do not keep a normal client out', async () => {
    const proc = await spawnServer(['--db', path.join(dir, 'drip.db'), '--quiet']);
    const url = new URL(proc.url);
    const sockets: net.Socket[] = [];
    for (let i = 0; i < 150; i++) {
      const s = net.connect(Number(url.port), url.hostname);
      s.on('error', () => undefined);
      s.write('POST /api/transactions/bulk/ HTTP/1.1\r\nHost: x\r\n');
      sockets.push(s);
    }
    const drip = setInterval(() => sockets.forEach((s) => s.write('X')), 200);
    try {
      const res = await call(proc.url, 'POST', '/api/transactions/bulk/', { body: [tx(5)] });
      expect(res.status).toBe(202);
    } finally {
      clearInterval(drip);
      sockets.forEach((s) => s.destroy());
      await proc.stop();
    }
  });

  it('SIGTERM while a job runs: exits 0, and on restart the job finishes with each record once', async () => {
    const db = path.join(dir, 'term.db');
    let proc = await spawnServer(['--db', db, '--quiet']);
    const rows = Array.from({ length: 40_000 }, (_, i) => tx(i, { description: `term-${i}` }));
    const start = await call(proc.url, 'POST', '/api/transactions/bulk/', { body: rows });
    await waitUntil(
      'the job to store its first chunk',
      async () =>
        ((await call(proc.url, 'GET', `/api/jobs/${start.body.job_id}/status/`)).body.processed_items as number) > 0,
      { intervalMs: 5 },
    );
    expect(await proc.stop()).toBe(0);
    proc = await spawnServer(['--db', db, '--quiet']);
    const final = await waitForFinal(proc.url, String(start.body.job_id), 60_000);
    await proc.stop();
    expect(final).toMatchObject({ state: 'Job Complete', success_count: 40_000 });
    const Database = (await import('better-sqlite3')).default;
    const conn = new Database(db, { readonly: true });
    expect(
      conn
        .prepare(
          "SELECT COUNT(*) AS n, COUNT(DISTINCT description) AS u FROM transactions WHERE description LIKE 'term-%'",
        )
        .get(),
    ).toEqual({ n: 40_000, u: 40_000 });
    conn.close();
  }, 60_000);
});
