// A start whose answer is lost: sent again only where that cannot store its rows twice, and what
// giving up means said by the error's detail (reset or timeout: the server may have the batch;
// refused: no attempt ever connected). Against real sockets over loopback.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/client/api-error.js';
import { JobApiClient } from '../../src/client/job-api-client.js';

const FAST = { baseDelayMs: 5, maxDelayMs: 20, deadlineMs: 400 };
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()?.();
});

/** A server that reads each start's body whole and answers `answer(n)` for the n-th (0-based): 'reset' drops it. */
async function server(answer: (n: number) => 'reset' | number): Promise<{ url: string; starts: () => number }> {
  let starts = 0;
  const srv = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const a = answer(starts++);
      if (a === 'reset') return req.socket.destroy();
      res.writeHead(a, { 'content-type': 'application/json', 'retry-after': '0' });
      res.end(JSON.stringify({ error: `HTTP ${a}` }));
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => srv.close(() => r())));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, starts: () => starts };
}

async function start(client: JobApiClient, extra: { upsert?: { uniqueFields: string[] } } = {}): Promise<ApiError> {
  closers.push(() => client.close());
  const err = await client
    .startJob({ resource: 'transactions', body: '[{"a":1}]', idempotencyKey: 'run:0:2-2', ...extra })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe('a start whose answer is lost', () => {
  it('is not sent again to a server that has not said it replays keys: one request, detail reset', async () => {
    const s = await server(() => 'reset');
    const err = await start(new JobApiClient({ baseUrl: s.url, retry: FAST }));
    expect(s.starts()).toBe(1);
    expect(err.detail).toBe('reset');
  });

  it('is sent again once the server said it replays keys, and giving up still says it may have arrived', async () => {
    const s = await server(() => 'reset');
    const client = new JobApiClient({ baseUrl: s.url, retry: FAST });
    client.trustKeys();
    const err = await start(client);
    expect(s.starts()).toBeGreaterThan(1);
    expect(err.detail).toBe('reset');
    expect(err.message).toMatch(/gave up after \d+ attempts/);
  });

  it('is sent again when the rows go by a unique key (an upsert cannot store a row twice)', async () => {
    const s = await server(() => 'reset');
    await start(new JobApiClient({ baseUrl: s.url, retry: FAST }), { upsert: { uniqueFields: ['a'] } });
    expect(s.starts()).toBeGreaterThan(1);
  });

  it('a reset then 503s until the retries run out: the detail keeps the reset, the message says so', async () => {
    const s = await server((n) => (n === 0 ? 'reset' : 503));
    const client = new JobApiClient({ baseUrl: s.url, retry: FAST });
    client.trustKeys();
    const err = await start(client);
    expect(s.starts()).toBeGreaterThan(2);
    expect(err.status).toBe(503);
    expect(err.detail).toBe('reset');
    expect(err.message).toMatch(/an earlier attempt may have reached the server/);
  });

  it('503s alone: the server said it took nothing, no detail of a lost answer', async () => {
    const s = await server(() => 503);
    const err = await start(new JobApiClient({ baseUrl: s.url, retry: FAST }));
    expect(s.starts()).toBeGreaterThan(1);
    expect(err.status).toBe(503);
    expect(err.detail).toBeNull();
  });

  it('no attempt ever connected (a closed port): retried, then detail refused', async () => {
    // A port that was free a moment ago: nothing listens there now.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    let retries = 0;
    const client = new JobApiClient({
      baseUrl: `http://127.0.0.1:${port}`,
      retry: FAST,
      onRetry: () => void retries++,
    });
    const err = await start(client);
    expect(retries).toBeGreaterThan(0);
    expect(err.detail).toBe('refused');
  });

  it('a start that will not be sent twice goes on a new connection, never a kept-alive one the server may be closing', async () => {
    let connections = 0;
    const seen: string[] = [];
    const srv = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.headers.connection}`);
      req.resume();
      req.on('end', () => {
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ job_id: `j${seen.length}`, status_url: `/api/jobs/j${seen.length}/status/` }));
      });
    });
    srv.on('connection', () => connections++);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => srv.close(() => r())));
    const client = new JobApiClient({
      baseUrl: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
      retry: FAST,
    });
    closers.push(() => client.close());
    for (let i = 0; i < 3; i++)
      await client.startJob({ resource: 'transactions', body: '[{"a":1}]', idempotencyKey: `run:0:${i}` });
    expect(seen).toEqual(['POST close', 'POST close', 'POST close']);
    expect(connections).toBe(3);
    // Once keys are trusted, starts share the kept-alive connections as every other request does.
    client.trustKeys();
    for (let i = 3; i < 6; i++)
      await client.startJob({ resource: 'transactions', body: '[{"a":1}]', idempotencyKey: `run:0:${i}` });
    expect(seen.slice(3)).toEqual(['POST keep-alive', 'POST keep-alive', 'POST keep-alive']);
    expect(connections).toBeLessThan(6);
  });
});
