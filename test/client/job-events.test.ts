import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobApiClient } from '../../src/client/job-api-client.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { HEARTBEAT_HEADER, type StatusResponse } from '../../src/protocol/index.js';
import { silenceLimitMs } from '../../src/client/stream-silence.js';
// @ts-expect-error the jobs page's plain JavaScript module (checked by web/tsconfig.json)
import { silenceMsOf } from '../../web/api.js';
import { watchJob } from '../../src/upload/settle/watch-job.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { tempDir } from '../helpers/temp.js';

let server: RunningServer | null = null;
let raw: http.Server | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
  await new Promise((r) => (raw ? raw.close(r) : r(null)));
  raw = null;
});

const rows = (n: number) =>
  JSON.stringify(
    Array.from({ length: n }, (_, i) => ({
      account_id: 1000 + i,
      amount: '1.00',
      transaction_date: '2024-01-01',
      description: `row ${i}`,
      category: 'a',
    })),
  );

describe('following a job through its events stream', () => {
  it('hears each chunk as it commits and returns the final status, without falling back to polling', async () => {
    // Each chunk waits until the client has heard the one before, so every progress step is a
    // separate event, whichever comes first: the event of a commit or the next chunk's start.
    let heard = 0;
    const waiting: Array<() => void> = [];
    const release = () => waiting.splice(0).forEach((check) => check());
    const chunks: number[] = [];
    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      database: path.join(tempDir('bulk-events-'), 'jobs.db'),
      chunkSize: 10,
      beforeChunk: ({ processedItems }) => {
        chunks.push(processedItems);
        if (processedItems === 0) return undefined;
        return new Promise<void>((r) => {
          const check = () => (heard >= processedItems / 10 ? r() : void waiting.push(check));
          check();
        });
      },
    });
    const client = new JobApiClient({ baseUrl: server.url });
    const started = await client.startJob({ resource: 'transactions', body: rows(30) });
    if (started.kind !== 'job') throw new Error('expected a job');
    const { ref } = started;
    const seen: StatusResponse[] = [];
    const following = client.followEvents(ref, (s) => {
      seen.push(s);
      heard++;
      release();
    });
    const final = await following;
    expect(final?.state).toBe('Job Complete');
    expect(seen.map((s) => s.processed_items)).toEqual([...new Set(seen.map((s) => s.processed_items))]);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen.some((s) => s.state === 'In Progress')).toBe(true);
    expect(chunks).toEqual([0, 10, 20]);
  });

  it('keeps a character split across two network chunks whole', async () => {
    const status = {
      job_id: 'j1',
      state: 'Job Complete',
      message: 'Job completed — naïve café ✓',
      total_items: 1,
      processed_items: 1,
      success_count: 1,
      error_count: 0,
      percentage: 100,
    };
    const bytes = Buffer.from(`data: ${JSON.stringify(status)}\n\n`, 'utf8');
    const cut = bytes.indexOf(Buffer.from('ï')) + 1; // inside the two bytes of ï
    raw = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(bytes.subarray(0, cut));
      setTimeout(() => res.end(bytes.subarray(cut)), 30);
    });
    await new Promise<void>((r) => raw!.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
    const client = new JobApiClient({ baseUrl: base });
    const final = await client.followEvents(
      { jobId: 'j1', statusUrl: `${base}/s`, eventsUrl: `${base}/e` } as never,
      () => {},
    );
    expect(final?.message).toBe(status.message);
  });
});

describe('a stream whose peer goes silent (killed behind a balancer that keeps the client side open)', () => {
  it('is given up after about two of its announced heartbeats, and the job is then followed by polling', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      database: path.join(tempDir('bulk-events-'), 'jobs.db'),
      chunkSize: 10,
      heartbeatMs: 100,
      // The job stays In Progress until the test lets it go: only silence can end the stream.
      beforeChunk: ({ processedItems }) => (processedItems === 10 ? held : undefined),
    });
    const proxy = await startFaultProxy(server.url);
    try {
      proxy.arm({ kind: 'go-silent' }, { match: (req) => /\/events\/$/.test(req.url ?? '') });
      const client = new JobApiClient({ baseUrl: proxy.url });
      const { ref } = jobOf(await client.startJob({ resource: 'transactions', body: rows(30) }));
      // The transport's own body timeout is 60 s and this test's 30 s: only the heartbeat watch can end it.
      const final = await client.followEvents(ref, () => undefined);
      expect(final).toBeNull();
      expect(proxy.seen.filter((s) => s.includes('/events/'))).toHaveLength(1);
      release();
      const polled = await watchJob(client, ref, { onStatus: () => undefined, useEvents: false });
      expect(polled.state).toBe('Job Complete');
    } finally {
      release();
      await proxy.close();
    }
  });

  it('reads the announced interval into a silence limit of about two heartbeats, ignoring nonsense', () => {
    // The jobs page reads it the same way, and keeps its 45 s for a server that announces nothing.
    expect(silenceMsOf('5000')).toBe(11_000);
    expect(silenceMsOf(null)).toBe(45_000);
    expect(silenceMsOf('soon')).toBe(45_000);
    expect(silenceLimitMs('5000')).toBe(11_000);
    expect(silenceLimitMs(['200'])).toBe(600);
    for (const bad of [undefined, '', 'soon', '-5', '0', '10', '1e9', String(24 * 3600_000)])
      expect(silenceLimitMs(bad), String(bad)).toBeNull();
  });

  it('a server that announces its heartbeat sends one that often on a quiet stream', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      database: path.join(tempDir('bulk-events-'), 'jobs.db'),
      heartbeatMs: 100,
      beforeChunk: () => held,
    });
    const client = new JobApiClient({ baseUrl: server.url });
    const { ref } = jobOf(await client.startJob({ resource: 'transactions', body: rows(3) }));
    const res = await fetch(ref.eventsUrl as string);
    expect(res.headers.get(HEARTBEAT_HEADER)).toBe('100');
    const reader = res.body!.getReader();
    let text = '';
    while ((text.match(/: keep-alive/g) ?? []).length < 2)
      text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    release();
  });
});

/** The job a start answered (bulk serve always answers one). */
function jobOf<T extends { kind: string }>(started: T): Extract<T, { kind: 'job' }> {
  if (started.kind !== 'job') throw new Error('expected a job');
  return started as Extract<T, { kind: 'job' }>;
}
