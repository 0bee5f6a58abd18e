// A bulk start body as NDJSON (ext) is the same request as the JSON array: same records, same
// indexes in errors, same limits and idempotency; the start response lists both body types.
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { call, tx, waitForFinal } from '../helpers/http.js';
import { tempDir } from '../helpers/temp.js';

let server: RunningServer;
let base: string;
beforeAll(async () => {
  server = await startServer({ port: 0, host: '127.0.0.1', database: path.join(tempDir(), 'body.db'), maxItems: 50 });
  base = server.url;
});
afterAll(async () => server?.close());

const NDJSON = { 'content-type': 'application/x-ndjson' };
const ndjson = (records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n');
let unique = 0;

describe('NDJSON bodies', () => {
  it('the start response offers both body types; an NDJSON job stores what the JSON one would', async () => {
    const json = await call(base, 'POST', '/api/transactions/bulk/', {
      body: [tx(1, { description: 'j1' }), tx(2, { description: 'j2' })],
    });
    expect(json.body.body_types).toEqual(['application/json', 'application/x-ndjson', 'text/csv']);
    const start = await call(base, 'POST', '/api/transactions/bulk/', {
      rawBody: `${ndjson([tx(1, { description: 'n1' }), tx(2, { description: 'n2', amount: 'x' })])}\n\n`,
      headers: NDJSON,
    });
    expect(start.status).toBe(202);
    expect(start.body.total_items).toBe(2);
    expect(await waitForFinal(base, String(start.body.job_id))).toMatchObject({
      success_count: 1,
      error_count: 1,
      errors: [{ index: 1, field: 'amount', error: 'must be a decimal number' }],
    });
  });

  it('a line that is not JSON is a 400 naming its item (blank lines are not items); limits are the same', async () => {
    const bad = await call(base, 'POST', '/api/transactions/bulk/', {
      rawBody: `${JSON.stringify(tx(1))}\n\n{"account_id": 1,\n`,
      headers: NDJSON,
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ index: 1 });
    expect(String(bad.body.error)).toMatch(/^Malformed NDJSON at item 1: /);
    expect((await call(base, 'POST', '/api/transactions/bulk/', { rawBody: '\n', headers: NDJSON })).body).toEqual({
      error: 'Empty array provided',
    });
    const many = Array.from({ length: 51 }, (_, i) => tx(i));
    expect(
      (await call(base, 'POST', '/api/transactions/bulk/', { rawBody: ndjson(many), headers: NDJSON })).status,
    ).toBe(413);
    const notObject = await call(base, 'POST', '/api/transactions/bulk/', {
      rawBody: `${JSON.stringify(tx(1))}\n[1]`,
      headers: NDJSON,
    });
    expect(notObject).toMatchObject({ status: 400, body: { index: 1 } });
  });

  it('idempotency: the same key and records replay whichever body type carries them; other records under the key are 422', async () => {
    const records = [tx(7, { description: 'idem-1' }), tx(8, { description: 'idem-2' })];
    const headers = { ...NDJSON, 'idempotency-key': 'body-type-key' };
    const first = await call(base, 'POST', '/api/transactions/bulk/', { rawBody: ndjson(records), headers });
    expect(first.status).toBe(202);
    const again = await call(base, 'POST', '/api/transactions/bulk/', { rawBody: ndjson(records), headers });
    expect(again.body.job_id).toBe(first.body.job_id);
    expect(again.headers['idempotency-replayed']).toBe('true');
    // A client resumed after a crash may send a batch in the other form: still the same request.
    const asArray = await call(base, 'POST', '/api/transactions/bulk/', {
      body: records,
      headers: { 'idempotency-key': 'body-type-key' },
    });
    expect(asArray.body.job_id).toBe(first.body.job_id);
    expect(
      (await call(base, 'POST', '/api/transactions/bulk/', { rawBody: ndjson(records.slice(1)), headers })).status,
    ).toBe(422);
  });

  it('generated record lists: the same counts and record errors, by index, for either body type', async () => {
    const value = fc.constantFrom<unknown>('1.25', 'abc', 3, null, '', '2024-02-30', true, { deep: 1 });
    const record = fc.record({
      account_id: fc.constantFrom<unknown>(1001, 'x', null),
      amount: value,
      transaction_date: fc.constantFrom<unknown>('2024-03-01', '2024-02-30', 5),
      extra: fc.option(fc.constant(1), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 12 }), async (records) => {
        // Each pair gets descriptions of its own, so neither job sees the other's rows as duplicates.
        const tag = ++unique;
        const with_ = (side: string) =>
          records.map((r, i) => ({
            ...Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)),
            description: `${side}-${tag}-${i}`,
          }));
        const a = await call(base, 'POST', '/api/transactions/bulk/', { body: with_('a') });
        const b = await call(base, 'POST', '/api/transactions/bulk/', { rawBody: ndjson(with_('b')), headers: NDJSON });
        expect(b.status).toBe(a.status);
        if (a.status !== 202) return expect(b.body).toEqual(a.body);
        const [sa, sb] = [
          await waitForFinal(base, String(a.body.job_id)),
          await waitForFinal(base, String(b.body.job_id)),
        ];
        expect([sb.success_count, sb.error_count, sb.errors]).toEqual([sa.success_count, sa.error_count, sa.errors]);
      }),
      { numRuns: Number(process.env.BULK_FC_RUNS ?? 10) },
    );
  });
});
