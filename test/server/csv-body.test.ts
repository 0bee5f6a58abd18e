// A bulk start body as CSV (ext) is read as the records its header names, every value text: the
// same records, indexes in errors, limits and results as the same rows sent as JSON strings.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import fc from 'fast-check';
import { parseCsvRecords } from '../../src/server/records/csv-records.js';
import { parseResources } from '../../src/server/resources/load-resources.js';
import { columnValidator, recordValidator } from '../../src/server/worker/record-validator.js';
import type { ResourceDef } from '../../src/resources/resource-types.js';
import type { JobType } from '../../src/protocol/index.js';
import { call, tx, waitForFinal } from '../helpers/http.js';
import { tempDir } from '../helpers/temp.js';

let server: RunningServer;
let base: string;
beforeAll(async () => {
  server = await startServer({ port: 0, host: '127.0.0.1', database: path.join(tempDir(), 'csv.db'), maxItems: 50 });
  base = server.url;
});
afterAll(async () => server?.close());

const CSV = { 'content-type': 'text/csv' };
const LIMITS = { maxItems: 10, maxKeysPerRecord: 3, maxDepth: 4 };

describe('CSV bodies', () => {
  it('resource descriptions and the start response offer text/csv', async () => {
    const list = await call(base, 'GET', '/api/resources/');
    const described = (list.body.resources as { name: string; body_types: string[] }[]).find(
      (r) => r.name === 'transactions',
    );
    expect(described?.body_types).toContain('text/csv');
    const start = await call(base, 'POST', '/api/transactions/bulk/', {
      rawBody: 'account_id,amount,transaction_date,description\n1001,1.25,2024-03-01,csv-offer\n',
      headers: CSV,
    });
    expect(start.status).toBe(202);
    expect(start.body.body_types).toContain('text/csv');
  });

  it('a CSV job stores, refuses and counts exactly what the same rows as JSON strings do', async () => {
    const rows = [
      tx(1, { description: 'c1' }),
      tx(2, { description: 'c2, "quoted"\nacross lines', amount: 'x' }),
      tx(3, { description: 'c3', bogus: '' }),
    ];
    const quote = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
    const cols = ['account_id', 'amount', 'transaction_date', 'description', 'category', 'bogus'];
    const csv = [cols.join(','), ...rows.map((r) => cols.map((c) => quote(String(r[c] ?? ''))).join(','))].join('\r\n');
    const asCsv = await call(base, 'POST', '/api/transactions/bulk/', { rawBody: csv, headers: CSV });
    expect(asCsv.status).toBe(202);
    expect(asCsv.body.total_items).toBe(3);
    const viaCsv = await waitForFinal(base, String(asCsv.body.job_id));
    // The same rows as JSON, every value a string (as a client reading a CSV file sends them); new keys.
    const json = rows.map((r, i) => ({
      ...Object.fromEntries(cols.map((c) => [c, String(r[c] ?? '')])),
      description: `${String(r.description)}-json${i}`,
    }));
    const asJson = await call(base, 'POST', '/api/transactions/bulk/', { body: json });
    const viaJson = await waitForFinal(base, String(asJson.body.job_id));
    for (const s of [viaCsv, viaJson]) expect(s).toMatchObject({ success_count: 0, error_count: 3 });
    expect(viaCsv.errors).toEqual(viaJson.errors);

    const good = await call(base, 'POST', '/api/transactions/bulk/', {
      rawBody: 'account_id,amount,transaction_date,description\n1001,1.25,2024-03-01,"a, b"\n1002,x,2024-03-01,d\n',
      headers: CSV,
    });
    expect(await waitForFinal(base, String(good.body.job_id))).toMatchObject({
      success_count: 1,
      error_count: 1,
      errors: [{ index: 1, field: 'amount', error: 'must be a decimal number' }],
    });
  });

  it('a body that cannot be read is a 400 naming the item; limits are the same as for JSON', async () => {
    const short = await call(base, 'POST', '/api/transactions/bulk/', {
      rawBody: 'account_id,amount\n1,2\n3\n',
      headers: CSV,
    });
    expect(short).toMatchObject({ status: 400, body: { index: 1 } });
    expect(String(short.body.error)).toMatch(/^Malformed CSV at item 1/);
    const unclosed = await call(base, 'POST', '/api/transactions/bulk/', {
      rawBody: 'account_id,description\n1,"open\n',
      headers: CSV,
    });
    expect(unclosed.status).toBe(400);
    expect(
      (await call(base, 'POST', '/api/transactions/bulk/', { rawBody: 'account_id\n', headers: CSV })).body,
    ).toEqual({ error: 'Empty array provided' });
    const many = ['account_id', ...Array.from({ length: 51 }, (_, i) => String(1000 + i))].join('\n');
    expect((await call(base, 'POST', '/api/transactions/bulk/', { rawBody: many, headers: CSV })).status).toBe(413);
  });

  it('idempotency: the same key and CSV bytes replay; other rows under the key are 422', async () => {
    const body = 'account_id,amount,transaction_date,description\n1001,1.25,2024-03-01,idem-csv\n';
    const headers = { ...CSV, 'idempotency-key': 'csv-key' };
    const first = await call(base, 'POST', '/api/transactions/bulk/', { rawBody: body, headers });
    const again = await call(base, 'POST', '/api/transactions/bulk/', { rawBody: body, headers });
    expect(again.body.job_id).toBe(first.body.job_id);
    expect(again.headers['idempotency-replayed']).toBe('true');
    const other = await call(base, 'POST', '/api/transactions/bulk/', {
      rawBody: body.replace('idem-csv', 'idem-other'),
      headers,
    });
    expect(other.status).toBe(422);
  });
});

describe('checking CSV rows by column', () => {
  it('gives what checking the record the header names gives, for any header and values', () => {
    const def = parseResources(
      {
        resources: {
          r: {
            fields: {
              k: { type: 'integer', required: true },
              d: { type: 'decimal' },
              // Required beyond the key: an upsert may leave it out (it then only updates).
              t: { type: 'text', max_length: 3, required: true },
            },
            unique: [['k']],
          },
        },
      },
      'test',
    ).get('r') as ResourceDef;
    const name = fc.constantFrom('k', 'd', 't', 'x');
    const value = fc.constantFrom('', '1', '-2', '1.5', '1.505', 'abc', 'abcd', ' 7 ');
    fc.assert(
      fc.property(
        fc.uniqueArray(name, { minLength: 1, maxLength: 4 }),
        fc.array(value, { minLength: 4, maxLength: 4 }),
        fc.constantFrom<JobType>('insert', 'upsert'),
        (columns, values, jobType) => {
          const job = { jobType, uniqueFields: jobType === 'upsert' ? ['k'] : null };
          const record = Object.fromEntries(columns.map((c, i) => [c, values[i]]));
          const byColumn = columnValidator(def, job, columns);
          expect(byColumn?.(values.slice(0, columns.length))).toEqual(recordValidator(def, job)(record));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('parseCsvRecords', () => {
  it('reads the header and rows as the splitter does, and checks header and limits', () => {
    const src = parseCsvRecords('\uFEFFa,b\n1,"x\ny"\n2,\n', LIMITS);
    expect(src.columns).toEqual(['a', 'b']);
    expect([src.at(0), src.at(1)]).toEqual([
      { a: '1', b: 'x\ny' },
      { a: '2', b: '' },
    ]);
    expect(() => parseCsvRecords('a,a\n1,2\n', LIMITS)).toThrow(/twice/);
    expect(() => parseCsvRecords('a,,b\n1,2,3\n', LIMITS)).toThrow(/no name/);
    expect(() => parseCsvRecords('a,b,c,d\n1,2,3,4\n', LIMITS)).toThrow(/more than 3 keys/);
    expect(() => parseCsvRecords(`a\n${'1\n'.repeat(11)}`, LIMITS)).toThrow(/Too many items: 11/);
    // A single column's blank line is a row of one empty value (a client quotes it, or sends the line).
    expect(parseCsvRecords('a\n\n""\n', LIMITS).length).toBe(2);
  });
});
