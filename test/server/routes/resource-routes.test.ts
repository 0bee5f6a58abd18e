import { once } from 'node:events';
import http from 'node:http';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTokens } from '../../../src/server/auth/tokens.js';
import { startServer, type RunningServer } from '../../../src/server/start-server.js';
import { JobApiClient } from '../../../src/client/job-api-client.js';
import { call } from '../../helpers/http.js';
import { tempDir } from '../../helpers/temp.js';

const TOKEN = 'resource-test-token-0123456789';
let server: RunningServer;

beforeAll(async () => {
  const dir = tempDir();
  const resources = path.join(dir, 'resources.json');
  writeFileSync(
    resources,
    JSON.stringify({
      resources: {
        orders: {
          fields: {
            order_id: { type: 'integer', required: true },
            price: { type: 'decimal', scale: 3 },
            note: { type: 'text', max_length: 20 },
          },
          unique: [['order_id']],
        },
      },
    }),
  );
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    database: path.join(dir, 's.db'),
    resourcesFile: resources,
    tokens: parseTokens(TOKEN, 'test'),
  });
});
afterAll(async () => server?.close());

const auth = { authorization: `Bearer ${TOKEN}` };

describe('GET /api/resources/ (ext)', () => {
  it('lists every resource with its fields, types, required fields and unique keys', async () => {
    const res = await call(server.url, 'GET', '/api/resources/', { headers: auth });
    expect(res.status).toBe(200);
    const orders = (res.body.resources as { name: string }[]).find((r) => r.name === 'orders');
    expect(orders).toEqual({
      name: 'orders',
      fields: [
        { name: 'order_id', type: 'integer', required: true },
        { name: 'price', type: 'decimal', required: false, scale: 3 },
        { name: 'note', type: 'text', required: false, max_length: 20 },
      ],
      unique_keys: [['order_id']],
      body_types: ['application/json', 'application/x-ndjson', 'text/csv'],
      idempotency_keys: true,
    });
    expect((res.body.resources as { name: string }[]).map((r) => r.name)).toContain('transactions');
  });

  it("describes one resource; an unknown one is a 404 in the protocol's words; a token is needed", async () => {
    const one = await call(server.url, 'GET', '/api/resources/transactions/', { headers: auth });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      name: 'transactions',
      unique_keys: [['account_id', 'transaction_date', 'description']],
    });
    const missing = await call(server.url, 'GET', '/api/resources/nope/', { headers: auth });
    expect(missing).toMatchObject({ status: 404, body: { error: 'Unknown resource: nope' } });
    expect((await call(server.url, 'GET', '/api/resources/')).status).toBe(401);
    expect((await call(server.url, 'POST', '/api/resources/', { headers: auth, body: [] })).status).toBe(405);
  });

  it('the client reads the list, and takes a server without the endpoint as one that describes nothing', async () => {
    const client = new JobApiClient({ baseUrl: server.url, token: TOKEN, timeoutMs: 5000 });
    expect((await client.describeResources())?.map((r) => r.name).sort()).toEqual(['orders', 'transactions']);
    await client.close();
    // A guide-only server: every path it does not know is a 404; a busy one answers 503. Either way
    // the descriptions are asked once, never retried.
    let asked = 0;
    let status = 404;
    const guideOnly = http.createServer((_req, res) => {
      asked++;
      res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"error":"no"}');
    });
    guideOnly.listen(0, '127.0.0.1');
    await once(guideOnly, 'listening');
    const elsewhere = new JobApiClient({
      baseUrl: `http://127.0.0.1:${(guideOnly.address() as { port: number }).port}`,
      timeoutMs: 5000,
    });
    expect(await elsewhere.describeResources()).toBeNull();
    status = 503;
    expect(await elsewhere.describeResources()).toBeNull();
    expect(asked).toBe(2);
    await elsewhere.close();
    guideOnly.close();
  });
});
