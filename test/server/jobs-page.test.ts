import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createParser } from 'eventsource-parser';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTokens } from '../../src/server/auth/tokens.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { WEB_DIR } from '../../src/server/routes/web-routes.js';
import { call, tx, waitForFinal } from '../helpers/http.js';
import { tempDir } from '../helpers/temp.js';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const TOKEN_A = 'alpha-page-token-0123456789';
const TOKEN_B = 'bravo-page-token-0123456789';
const auth = (t: string) => ({ authorization: `Bearer ${t}` });

/** Reads the server-wide stream until `until` says stop; returns every status event seen. */
async function readStream(
  base: string,
  headers: Record<string, string>,
  until: (events: Record<string, unknown>[]) => boolean,
  start: () => Promise<void>,
): Promise<{ events: Record<string, unknown>[]; contentType: string; comments: number }> {
  const res = await request(`${base}/api/jobs/events/`, { headers, bodyTimeout: 0 });
  expect(res.statusCode).toBe(200);
  const events: Record<string, unknown>[] = [];
  let comments = 0;
  let done = false;
  const parser = createParser({
    onEvent: (e) => {
      events.push(JSON.parse(e.data) as Record<string, unknown>);
      if (until(events)) done = true;
    },
    onComment: () => comments++,
  });
  const started = start();
  for await (const chunk of res.body) {
    parser.feed(Buffer.from(chunk as Buffer).toString('utf8'));
    if (done) break;
  }
  res.body.destroy();
  await started;
  return { events, contentType: String(res.headers['content-type']), comments };
}

describe('the jobs page, without tokens', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ port: 0, host: '127.0.0.1', database: path.join(tempDir(), 'page.db') });
  });
  afterAll(async () => server?.close());

  it('/ serves the page with a strict CSP and the other security headers', async () => {
    const res = await call(server.url, 'GET', '/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(CSP);
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.text).toContain('<script type="module" src="/web/app.js"></script>');
    // Nothing inline the CSP would have to allow.
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.text).not.toMatch(/\sstyle=|<style/);
    expect(res.text).toBe(readFileSync(path.join(WEB_DIR, 'index.html'), 'utf8'));
  });

  it('assets have their content types and the same headers; nothing outside web/ is served', async () => {
    for (const [file, type] of [
      ['/web/app.js', 'text/javascript; charset=utf-8'],
      ['/web/style.css', 'text/css; charset=utf-8'],
    ] as const) {
      const res = await call(server.url, 'GET', file);
      expect(res.status, file).toBe(200);
      expect(res.headers['content-type']).toBe(type);
      expect(res.headers['content-security-policy']).toBe(CSP);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
    for (const bad of ['/web/nope.js', '/web/%2e%2e%2fpackage.json', '/web/', '/package.json', '/web/app.js/x']) {
      const res = await call(server.url, 'GET', bad);
      expect(res.status, bad).toBe(404);
      expect(res.body).toHaveProperty('error');
    }
    expect((await call(server.url, 'POST', '/')).status).toBe(405);
  });

  it('/api/jobs/events/ does not collide with the job routes', async () => {
    expect((await call(server.url, 'POST', '/api/jobs/events/')).status).toBe(405);
    expect((await call(server.url, 'GET', '/api/jobs/events/status/')).body).toEqual({ error: 'Job not found' });
  });

  it('/api/jobs/events/ streams a new job from Open to Job Complete', async () => {
    let id = '';
    const { events, contentType, comments } = await readStream(
      server.url,
      {},
      (ev) => ev.some((e) => e.job_id === id && e.state === 'Job Complete'),
      async () => {
        const start = await call(server.url, 'POST', '/api/transactions/bulk/', {
          body: Array.from({ length: 2500 }, (_, i) => tx(i, { description: `page-${i}` })),
        });
        id = String(start.body.job_id);
      },
    );
    expect(contentType).toBe('text/event-stream; charset=utf-8');
    expect(comments).toBeGreaterThanOrEqual(1);
    const mine = events.filter((e) => e.job_id === id);
    expect(mine[0]).toMatchObject({ state: 'Open', processed_items: 0, resource: 'transactions' });
    expect(mine.at(-1)).toMatchObject({ state: 'Job Complete', processed_items: 2500, success_count: 2500 });
    // Progress is seen in between, never going back.
    const processed = mine.map((e) => e.processed_items as number);
    expect(processed).toEqual([...processed].sort((a, b) => a - b));
  });
});

describe('the jobs page, with tokens', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      database: path.join(tempDir(), 'page-tokens.db'),
      tokens: parseTokens(`alice ${TOKEN_A}\nbob ${TOKEN_B}`, 'test'),
    });
  });
  afterAll(async () => server?.close());

  it('the page and assets need no token; the stream is 401 without one', async () => {
    expect((await call(server.url, 'GET', '/')).status).toBe(200);
    expect((await call(server.url, 'GET', '/web/app.js')).status).toBe(200);
    const res = await call(server.url, 'GET', '/api/jobs/events/');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(
      (await call(server.url, 'GET', '/api/jobs/events/', { headers: auth('wrong-token-wrong-token') })).status,
    ).toBe(401);
  });

  it("streams the caller's own job and nothing of another token's job", async () => {
    let mine = '';
    let theirs = '';
    const { events } = await readStream(
      server.url,
      auth(TOKEN_A),
      (ev) => ev.some((e) => e.job_id === mine && e.state === 'Job Complete'),
      async () => {
        // Bob's job runs to its end first; everything the stream hears of it comes before Alice's job exists.
        const b = await call(server.url, 'POST', '/api/transactions/bulk/', {
          body: [tx(1, { description: 'bob' }), tx(2, { amount: 'x' })],
          headers: auth(TOKEN_B),
        });
        theirs = String(b.body.job_id);
        await waitForFinal(server.url, theirs, 10_000, auth(TOKEN_B));
        const a = await call(server.url, 'POST', '/api/transactions/bulk/', {
          body: [tx(3, { description: 'alice' })],
          headers: auth(TOKEN_A),
        });
        mine = String(a.body.job_id);
      },
    );
    expect(theirs).not.toBe('');
    expect(events.some((e) => e.job_id === mine && e.state === 'Job Complete')).toBe(true);
    expect(events.filter((e) => e.job_id !== mine)).toEqual([]);
  });
});
