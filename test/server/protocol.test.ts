import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { call, tx, waitForFinal } from '../helpers/http.js';
import { tempDir } from '../helpers/temp.js';

let server: RunningServer;
let base: string;

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
            price: { type: 'decimal', scale: 2 },
            status: { type: 'text', max_length: 10 },
            paid: { type: 'boolean' },
            at: { type: 'datetime' },
          },
          unique: [['order_id']],
          aggregates: {
            orders: { fn: 'count' },
            revenue: { fn: 'sum', field: 'price' },
            cheapest: { fn: 'min', field: 'price' },
            dearest: { fn: 'max', field: 'price' },
            mean: { fn: 'avg', field: 'price' },
            by_status: { fn: 'count_by', field: 'status' },
          },
        },
      },
    }),
  );
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    database: path.join(dir, 's.db'),
    resourcesFile: resources,
    maxItems: 500,
    maxBodyBytes: 200_000,
    maxQueuedJobs: 50,
  });
  base = server.url;
});
afterAll(async () => server?.close());

const START_FIELDS = [
  'message',
  'job_id',
  'task_id',
  'total_items',
  'status_url',
  'aggregates_url',
  'estimated_duration',
  'next_steps',
  'tips',
];
const STATUS_FIELDS = [
  'job_id',
  'job_type',
  'state',
  'status',
  'message',
  'created_at',
  'updated_at',
  'completed_at',
  'total_items',
  'processed_items',
  'success_count',
  'error_count',
  'percentage',
  'estimated_remaining',
  'aggregates_ready',
  'aggregates_completed',
  'next_steps',
  'can_retry',
  'errors',
];

describe("start, status, aggregates: the guide's shapes", () => {
  it('answers 202 with every start field, then a final status and exact aggregates', async () => {
    const records = [
      tx(1, { amount: '0.10' }),
      tx(2, { amount: '0.20' }),
      tx(3, { amount: 'abc' }),
      tx(4, { transaction_date: '2024-02-30' }),
    ];
    const start = await call(base, 'POST', '/api/transactions/bulk/', { body: records });
    expect(start.status).toBe(202);
    for (const f of START_FIELDS) expect(start.body).toHaveProperty(f);
    expect(start.body.message).toBe('Enhanced bulk create job started for 4 items');
    expect(start.body.job_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(start.body.status_url).toBe(`/api/jobs/${start.body.job_id}/status/`);
    expect(start.body).toHaveProperty('events_url');
    const status = await waitForFinal(base, String(start.body.job_id));
    for (const f of STATUS_FIELDS) expect(status).toHaveProperty(f);
    expect(status).toMatchObject({
      job_type: 'insert',
      state: 'Job Complete',
      status: 'completed',
      total_items: 4,
      processed_items: 4,
      success_count: 2,
      error_count: 2,
      percentage: 100,
      aggregates_ready: true,
      can_retry: false,
    });
    expect(status.message).toBe('Job completed successfully! Processed 4 items with 2 errors');
    expect(status.errors).toEqual([
      { index: 2, field: 'amount', error: 'must be a decimal number' },
      { index: 3, field: 'transaction_date', error: 'is not a real calendar date' },
    ]);
    const aggs = await call(base, 'GET', `/api/jobs/${start.body.job_id}/aggregates/`);
    expect(aggs.status).toBe(200);
    // Exact decimal text on the wire: 0.10 + 0.20 is 0.30, not 0.30000000000000004.
    expect(aggs.text).toContain('"total_amount":0.30');
    expect(aggs.body.aggregate_results).toEqual({
      total_amount: 0.3,
      average_amount: 0.15,
      transaction_count: 4,
      successful_transactions: 2,
      failed_transactions: 2,
    });
  });

  it('sums past 2^53 cents exactly', async () => {
    const big = '45035996273704.96'; // 2^52 cents
    const start = await call(base, 'POST', '/api/orders/bulk/', {
      body: [
        { order_id: 1, price: big },
        { order_id: 2, price: big },
        { order_id: 3, price: '0.01' },
      ],
    });
    await waitForFinal(base, String(start.body.job_id));
    const aggs = await call(base, 'GET', `/api/jobs/${start.body.job_id}/aggregates/`);
    expect(aggs.text).toContain('"revenue":90071992547409.93');
    expect(aggs.text).toContain('"cheapest":0.01');
    expect(aggs.text).toContain('"dearest":45035996273704.96');
  });

  it('count_by, avg and count over the records a job stored', async () => {
    const records = Array.from({ length: 400 }, (_, i) => ({
      order_id: 1000 + i,
      price: '1.00',
      status: i % 2 ? 'new' : 'paid',
    }));
    const start = await call(base, 'POST', '/api/orders/bulk/', {
      body: [...records, { order_id: 1000, price: '5.00' }],
    });
    await waitForFinal(base, String(start.body.job_id));
    const done = await call(base, 'GET', `/api/jobs/${start.body.job_id}/aggregates/`);
    expect(done.body.aggregate_results).toMatchObject({
      orders: 400,
      by_status: { new: 200, paid: 200 },
      mean: 1,
      revenue: 400,
    });
    expect(done.text).toContain('"revenue":400.00');
  });
});

describe("bad requests get the protocol's 4xx JSON", () => {
  it.each([
    ['malformed JSON', '/api/transactions/bulk/', '[{"a": ', 400, /^Malformed JSON/],
    ['not an array', '/api/transactions/bulk/', '{"a": 1}', 400, /^Expected array data for bulk operations\.$/],
    ['empty array', '/api/transactions/bulk/', '[]', 400, /^Empty array provided$/],
    ['an element that is not an object', '/api/transactions/bulk/', '[{"a":1}, 5]', 400, /Item 1 is not a JSON object/],
    ['unknown resource', '/api/nope/bulk/', '[{"a":1}]', 404, /^Unknown resource: nope$/],
    [
      'a record with too many keys',
      '/api/transactions/bulk/',
      JSON.stringify([Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`k${i}`, i]))]),
      400,
      /Item 0 has more than 1000 keys/,
    ],
    [
      'a value nested too deep',
      '/api/transactions/bulk/',
      `[{"description": ${'['.repeat(40)}${']'.repeat(40)}}]`,
      400,
      /nested more than 32 levels/,
    ],
  ])('%s', async (_name, path, rawBody, status, error) => {
    const res = await call(base, 'POST', path, { rawBody });
    expect(res.status).toBe(status);
    expect(res.body.error).toMatch(error);
  });

  it('404 Job not found for unknown and malformed ids', async () => {
    for (const id of ['550e8400-e29b-41d4-a716-446655440000', 'not-a-uuid']) {
      const res = await call(base, 'GET', `/api/jobs/${id}/status/`);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'Job not found' });
    }
  });

  it('upsert needs unique_fields that are a declared key', async () => {
    const missing = await call(base, 'PATCH', '/api/transactions/bulk/', { body: [tx(1)] });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('unique_fields parameter is required for upsert operations');
    const wrong = await call(base, 'PATCH', '/api/transactions/bulk/?unique_fields=account_id', { body: [tx(1)] });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toContain('account_id,transaction_date,description');
  });

  it('413 for too many items, and for a body over the limit with or without Content-Length', async () => {
    const many = await call(base, 'POST', '/api/orders/bulk/', {
      body: Array.from({ length: 501 }, (_, i) => ({ order_id: i })),
    });
    expect(many.status).toBe(413);
    const big = `[${Array.from({ length: 5000 }, (_, i) => JSON.stringify({ order_id: i, status: 'x'.repeat(40) })).join(',')}]`;
    const withLength = await call(base, 'POST', '/api/orders/bulk/', { rawBody: big });
    expect(withLength.status).toBe(413);
    expect(withLength.body.error).toMatch(/too large/);
    expect(withLength.headers.connection).toBe('close');
  });

  it('413 as soon as a chunked body (no Content-Length) passes the limit, before the client finishes', async () => {
    const { port } = new URL(base);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1');
      let text = '';
      let sent = 0;
      socket.on('error', () => resolve(text));
      socket.on('data', (d) => (text += d.toString()));
      socket.on('close', () => resolve(text));
      socket.write(
        'POST /api/orders/bulk/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
      );
      const piece = `[${'{"order_id":1},'.repeat(600)}`;
      const pump = () => {
        // Keep sending until the server answers: it must not wait for a body end that never comes.
        if (text || sent > 2_000_000) return sent > 2_000_000 ? reject(new Error('no answer after 2 MB')) : undefined;
        sent += piece.length;
        socket.write(`${piece.length.toString(16)}\r\n${piece}\r\n`, () => setImmediate(pump));
      };
      pump();
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { error: string };
    expect(body.error).toMatch(/too large: more than 200000 bytes/);
  });

  it('405 for a wrong method, with a JSON body', async () => {
    const res = await call(base, 'GET', '/api/transactions/bulk/');
    expect(res.status).toBe(405);
    expect(res.body.error).toBeTypeOf('string');
  });

  it('health reports the store and the queue', async () => {
    const res = await call(base, 'GET', '/api/health/');
    expect(res.body).toMatchObject({ status: 'ok', store: 'sqlite' });
    expect(res.body.queue_depth).toBeTypeOf('number');
  });
});

describe('idempotency keys', () => {
  it('replays the first answer for the same key and body, 422 for another body', async () => {
    const key = `k-${Date.now()}`;
    const body = [tx(100), tx(101)];
    const first = await call(base, 'POST', '/api/transactions/bulk/', { body, headers: { 'idempotency-key': key } });
    const again = await call(base, 'POST', '/api/transactions/bulk/', { body, headers: { 'idempotency-key': key } });
    expect(again.status).toBe(202);
    expect(again.body.job_id).toBe(first.body.job_id);
    expect(again.headers['idempotency-replayed']).toBe('true');
    const other = await call(base, 'POST', '/api/transactions/bulk/', {
      body: [tx(102)],
      headers: { 'idempotency-key': key },
    });
    expect(other.status).toBe(422);
    const status = await waitForFinal(base, String(first.body.job_id));
    expect(status.success_count).toBe(2);
  });

  it('409 while the first request with the key is still arriving', async () => {
    const key = `slow-${Date.now()}`;
    // Expect: 100-continue makes the server say when it has taken the request (and with it the
    // key) while the body has not come yet: no guess at how long that takes.
    const slow = http.request(`${base}/api/transactions/bulk/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key, expect: '100-continue' },
    });
    const answered = once(slow, 'response') as Promise<[http.IncomingMessage]>;
    slow.flushHeaders();
    await once(slow, 'continue');
    slow.write('[');
    const second = await call(base, 'POST', '/api/transactions/bulk/', {
      body: [tx(200)],
      headers: { 'idempotency-key': key },
    });
    expect(second.status).toBe(409);
    slow.end(`${JSON.stringify(tx(200))}]`);
    const [first] = await answered;
    expect(first.statusCode).toBe(202);
    first.resume();
  });
});

describe('upsert, delete, abort, errors paging, events, list', () => {
  it('upsert updates only update_fields on a match and inserts the rest', async () => {
    const a = await call(base, 'POST', '/api/orders/bulk/', {
      body: [{ order_id: 9001, price: '5.00', status: 'new' }],
    });
    await waitForFinal(base, String(a.body.job_id));
    const up = await call(base, 'PATCH', '/api/orders/bulk/?unique_fields=order_id&update_fields=status', {
      body: [
        { order_id: 9001, price: '99.00', status: 'paid' },
        { order_id: 9002, price: '1.00', status: 'new' },
      ],
    });
    expect(up.status).toBe(202);
    expect(up.body).toMatchObject({ unique_fields: ['order_id'], update_fields: ['status'] });
    const st = await waitForFinal(base, String(up.body.job_id));
    expect(st).toMatchObject({ job_type: 'upsert', success_count: 2 });
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(server.database, { readonly: true });
    expect(db.prepare('SELECT price, status FROM orders WHERE order_id = 9001').get()).toEqual({
      price: '5.00',
      status: 'paid',
    });
    expect(db.prepare('SELECT price FROM orders WHERE order_id = 9002').get()).toEqual({ price: '1.00' });
    const del = await call(base, 'DELETE', '/api/orders/bulk/?unique_fields=order_id', {
      body: [{ order_id: 9002 }, { order_id: 424242 }],
    });
    const ds = await waitForFinal(base, String(del.body.job_id));
    expect(ds).toMatchObject({ job_type: 'delete', success_count: 1, error_count: 1 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM orders WHERE order_id = 9002').get()).toEqual({ n: 0 });
    db.close();
  });

  it('pages every record error in index order', async () => {
    const records = Array.from({ length: 300 }, (_, i) => ({ order_id: 50_000 + i, price: i % 2 ? 'bad' : '1.00' }));
    const start = await call(base, 'POST', '/api/orders/bulk/', { body: records });
    const st = await waitForFinal(base, String(start.body.job_id));
    expect(st.error_count).toBe(150);
    expect((st.errors as unknown[]).length).toBe(100);
    const page = await call<{ total: number; errors: { index: number }[] }>(
      base,
      'GET',
      `/api/jobs/${start.body.job_id}/errors/?offset=140&limit=20`,
    );
    expect(page.body.total).toBe(150);
    expect(page.body.errors.map((e) => e.index)).toEqual([281, 283, 285, 287, 289, 291, 293, 295, 297, 299]);
    const bad = await call(base, 'GET', `/api/jobs/${start.body.job_id}/errors/?limit=x`);
    expect(bad.status).toBe(400);
  });

  it('lists jobs newest first, filtered by state; bad filters are 400', async () => {
    const a = await call(base, 'POST', '/api/orders/bulk/', { body: [{ order_id: 80_001 }] });
    const b = await call(base, 'POST', '/api/orders/bulk/', { body: [{ order_id: 80_002 }] });
    await waitForFinal(base, String(b.body.job_id));
    await waitForFinal(base, String(a.body.job_id));
    const list = await call<{ jobs: { job_id: string; state: string }[] }>(
      base,
      'GET',
      '/api/jobs/?limit=2&state=Job%20Complete',
    );
    expect(list.body.jobs.map((j) => j.job_id)).toEqual([b.body.job_id, a.body.job_id]);
    expect((await call(base, 'GET', '/api/jobs/?state=Done')).status).toBe(400);
    expect((await call(base, 'GET', '/api/jobs/?limit=0')).status).toBe(400);
  });
});

describe('what a record becomes', () => {
  const rows = (sql: string, ...args: unknown[]) => {
    const db = new Database(server.database, { readonly: true });
    try {
      return db.prepare(sql).all(...args);
    } finally {
      db.close();
    }
  };

  it('an upsert without update_fields changes the fields a record supplies and keeps the rest', async () => {
    const seed = await call(base, 'POST', '/api/orders/bulk/', {
      body: [{ order_id: 60_001, price: '5.00', status: 'new', paid: 'no' }],
    });
    await waitForFinal(base, String(seed.body.job_id));
    const up = await call(base, 'PATCH', '/api/orders/bulk/?unique_fields=order_id', {
      body: [
        { order_id: 60_001, status: 'paid', paid: 'yes' },
        { order_id: 60_002, price: '7' },
      ],
    });
    expect(up.body).toMatchObject({
      message: 'Enhanced bulk upsert job started for 2 items',
      unique_fields: ['order_id'],
      update_fields: null,
    });
    expect(await waitForFinal(base, String(up.body.job_id))).toMatchObject({ success_count: 2, error_count: 0 });
    expect(
      rows('SELECT order_id, price, status, paid FROM orders WHERE order_id IN (60001, 60002) ORDER BY order_id'),
    ).toEqual([
      { order_id: 60_001, price: '5.00', status: 'paid', paid: 1 },
      { order_id: 60_002, price: '7.00', status: null, paid: null },
    ]);
  });

  it('an upsert needs each record to carry its key; on transactions the key may be named in any order', async () => {
    const up = await call(
      base,
      'PATCH',
      '/api/transactions/bulk/?unique_fields=description,account_id,transaction_date&update_fields=amount',
      {
        body: [
          tx(700, { amount: '1.00' }),
          tx(700, { amount: '2.00', category: 'ignored' }),
          tx(701, { account_id: '' }),
        ],
      },
    );
    expect(up.status).toBe(202);
    const st = await waitForFinal(base, String(up.body.job_id));
    expect(st).toMatchObject({
      success_count: 2,
      error_count: 1,
      errors: [{ index: 2, field: 'account_id', error: 'is required' }],
    });
    expect(rows("SELECT amount, category FROM transactions WHERE description = 't-700'")).toEqual([
      { amount: '2.00', category: 'test' },
    ]);
  });

  it('an insert that repeats a unique key is a record error naming the key; the job still completes', async () => {
    const start = await call(base, 'POST', '/api/transactions/bulk/', {
      body: [tx(800), tx(801), tx(800, { amount: '9.99' })],
    });
    const st = await waitForFinal(base, String(start.body.job_id));
    expect(st).toMatchObject({ state: 'Job Complete', success_count: 2, error_count: 1 });
    expect(st.errors).toEqual([
      { index: 2, field: 'account_id,transaction_date,description', error: 'duplicate of an existing record' },
    ]);
  });

  it('decimals are stored in canonical form at the field scale, so 1.5 and 1.50 are one key', async () => {
    const start = await call(base, 'POST', '/api/transactions/bulk/', {
      body: [tx(900, { amount: '1.5' }), tx(901, { amount: 3 }), tx(902, { amount: Number('1234567890123456.7') })],
    });
    const st = await waitForFinal(base, String(start.body.job_id));
    expect(st.errors).toEqual([
      { index: 2, field: 'amount', error: 'has more than 15 significant digits: send it as a string' },
    ]);
    expect(
      rows("SELECT amount FROM transactions WHERE description IN ('t-900', 't-901') ORDER BY description"),
    ).toEqual([{ amount: '1.50' }, { amount: '3.00' }]);
  });

  it('a record with several bad fields lists them all in its one error, its index listed once', async () => {
    const start = await call(base, 'POST', '/api/orders/bulk/', {
      body: [
        { order_id: 7001, paid: 'true' },
        { order_id: 7002, price: '1,50', paid: 'ja', at: '13.11.2022', colour: 'red' },
      ],
    });
    const st = await waitForFinal(base, String(start.body.job_id));
    expect(st.errors).toEqual([
      {
        index: 1,
        field: 'colour',
        error:
          'unknown field; price: must be a decimal number; paid: must be true or false; ' +
          'at: must be a date and time (ISO 8601, e.g. 2024-01-15T10:30:00Z)',
      },
    ]);
  });

  it('every record error is {index, field, error}, index 0-based in the job', async () => {
    const start = await call(base, 'POST', '/api/transactions/bulk/', {
      body: [tx(950), { ...tx(951), colour: 'red' }, tx(952, { amount: '' })],
    });
    const st = await waitForFinal(base, String(start.body.job_id));
    expect(st.errors).toEqual([
      { index: 1, field: 'colour', error: 'unknown field' },
      { index: 2, field: 'amount', error: 'is required' },
    ]);
  });
});

describe('hostile and odd requests never take the server down', () => {
  const raw = (text: string | Buffer) =>
    new Promise<string>((resolve) => {
      const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
      let out = '';
      socket.on('data', (d) => (out += d.toString()));
      socket.on('close', () => resolve(out));
      socket.on('error', () => resolve(out));
      socket.end(text);
    });
  const statusAndBody = (answer: string) => ({
    status: Number(answer.slice(9, 12)),
    body: JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { error: string },
  });

  it.each([
    [
      'an absolute-form target that is not a URL',
      'GET http://[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      404,
      /^Not found/,
    ],
    [
      'a job id with a broken escape',
      'GET /api/jobs/%ZZ/status/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      404,
      /^Job not found$/,
    ],
    [
      'a resource with a broken escape',
      'POST /api/%E0%A4%A/bulk/ HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]',
      404,
      /^Unknown resource: %E0%A4%A$/,
    ],
    ['bytes that are not HTTP', 'HELLO THERE\r\n\r\n', 400, /^Bad request/],
  ])('%s gets a JSON %i', async (_what, request, status, error) => {
    const answer = statusAndBody(await raw(request));
    expect(answer.status).toBe(status);
    expect(answer.body.error).toMatch(error);
    expect((await call(base, 'GET', '/api/health/')).status).toBe(200);
  });

  it('a body that is not UTF-8 is 400 Malformed JSON', async () => {
    const body = Buffer.concat([Buffer.from('[{"description": "'), Buffer.from([0xc3, 0x28]), Buffer.from('"}]')]);
    const answer = statusAndBody(
      await raw(
        Buffer.concat([
          Buffer.from(
            `POST /api/transactions/bulk/ HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
          ),
          body,
        ]),
      ),
    );
    expect(answer).toEqual({ status: 400, body: { error: 'Malformed JSON: the body is not valid UTF-8' } });
  });

  it('an unknown path is a JSON 404; a wrong method on a job route is a JSON 405', async () => {
    const nowhere = await call(base, 'GET', '/nowhere');
    expect(nowhere.status).toBe(404);
    expect(nowhere.body.error).toEqual(expect.any(String));
    const wrong = await call(base, 'DELETE', '/api/jobs/550e8400-e29b-41d4-a716-446655440000/status/');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET');
  });

  it('the replayed 202 is byte for byte the first one', async () => {
    const key = `bytes-${Date.now()}`;
    const first = await call(base, 'POST', '/api/transactions/bulk/', {
      body: [tx(990)],
      headers: { 'idempotency-key': key },
    });
    await waitForFinal(base, String(first.body.job_id));
    const again = await call(base, 'POST', '/api/transactions/bulk/', {
      body: [tx(990)],
      headers: { 'idempotency-key': key },
    });
    expect(again.text).toBe(first.text);
    expect(again.headers['idempotency-replayed']).toBe('true');
  });
});
