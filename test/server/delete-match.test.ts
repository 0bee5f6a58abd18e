// (ext) POST /api/{resource}/bulk/match/ says what a delete job with the same body would do: for
// generated tables and bodies (repeated keys, invalid keys, keys naming nothing), its answer is
// exactly the errors and the count the real delete job then gives, on both stores.
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MatchResponse, RecordError, StatusResponse } from '../../src/protocol/index.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { createTestSchema, pgReachable, reportPgSkip } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp.js';
import { waitUntil } from '../helpers/wait-until.js';

const pgUp = await pgReachable();
if (!pgUp) reportPgSkip('delete-match (PostgreSQL)');
const RUNS = Number(process.env.BULK_FC_RUNS ?? 15);
const KEY = 'account_id,transaction_date,description';

const keyArb = fc.record({ account_id: fc.integer({ min: 1, max: 3 }), description: fc.constantFrom('a', 'b') });
/** A delete body's row: a key of the small domain, or one a delete refuses (not a number, no description). */
const bodyRowArb = fc.oneof(
  { weight: 6, arbitrary: keyArb.map((k) => ({ ...k })) },
  { weight: 1, arbitrary: fc.constant({ account_id: 'x', description: 'a' }) },
  { weight: 1, arbitrary: fc.record({ account_id: fc.integer({ min: 1, max: 3 }) }) },
);
const caseArb = fc.record({
  existing: fc.uniqueArray(keyArb, { selector: (k) => `${k.account_id}/${k.description}`, maxLength: 6 }),
  body: fc.array(bodyRowArb, { minLength: 1, maxLength: 8 }),
});

let day = 0;
/** Each run on a day of its own, so runs never see each other's records. */
const nextDate = () => new Date(Date.UTC(2030, 0, 1) + day++ * 86_400_000).toISOString().slice(0, 10);

async function runJob(
  url: string,
  method: 'POST' | 'DELETE',
  query: string,
  body: unknown,
): Promise<{ status: StatusResponse; errors: RecordError[] }> {
  const res = await fetch(`${url}/api/transactions/bulk/${query}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.clone().text()).toBe(202);
  const { job_id: id } = (await res.json()) as { job_id: string };
  const status = await waitUntil(`job ${id} final`, async () => {
    const s = (await (await fetch(`${url}/api/jobs/${id}/status/`)).json()) as StatusResponse;
    return ['Job Complete', 'Failed', 'Aborted'].includes(s.state) ? s : null;
  });
  const page = (await (await fetch(`${url}/api/jobs/${id}/errors/?limit=1000`)).json()) as { errors: RecordError[] };
  return { status, errors: page.errors };
}

async function check(
  url: string,
  existing: { account_id: number; description: string }[],
  body: Record<string, unknown>[],
): Promise<void> {
  const date = nextDate();
  if (existing.length)
    await runJob(
      url,
      'POST',
      '',
      existing.map((k) => ({ ...k, amount: '1.00', transaction_date: date })),
    );
  const rows = body.map((r) => ({ ...r, transaction_date: date }));
  const res = await fetch(`${url}/api/transactions/bulk/match/?unique_fields=${KEY}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(rows),
  });
  expect(res.status).toBe(200);
  const predicted = (await res.json()) as MatchResponse;
  const real = await runJob(url, 'DELETE', `?unique_fields=${KEY}`, rows);
  expect(real.status.state).toBe('Job Complete');
  expect(predicted.total_items).toBe(rows.length);
  expect(predicted.errors).toEqual(real.errors);
  expect(predicted.matched_items).toBe(real.status.success_count);
}

const BACKENDS: [string, () => Promise<{ server: RunningServer; drop: () => Promise<void> }>][] = [
  [
    'SQLite',
    async () => ({
      server: await startServer({ port: 0, host: '127.0.0.1', database: path.join(tempDir(), 'match.db') }),
      drop: async () => undefined,
    }),
  ],
  [
    'PostgreSQL',
    async () => {
      const schema = await createTestSchema();
      return { server: await startServer({ port: 0, host: '127.0.0.1', database: schema.url }), drop: schema.drop };
    },
  ],
];

describe.each(BACKENDS)('delete match on %s', (name, make) => {
  const skip = name === 'PostgreSQL' && !pgUp;
  let env: Awaited<ReturnType<typeof make>> | undefined;
  beforeAll(async () => {
    if (!skip) env = await make();
  });
  afterAll(async () => {
    await env?.server.close();
    await env?.drop();
  });

  it.skipIf(skip)('answers exactly what the delete job with that body then does', { timeout: 60_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ existing, body }) => check(env!.server.url, existing, body)),
      { numRuns: RUNS },
    );
  });

  it.skipIf(skip)('a repeated key deletes once: the repeat is "no record with this key", as in the job', async () => {
    await check(
      env!.server.url,
      [{ account_id: 1, description: 'a' }],
      [
        { account_id: 1, description: 'a' },
        { account_id: 1, description: 'a' },
        { account_id: 'x', description: 'a' },
      ],
    );
  });

  it.skipIf(skip)('changes nothing, queues nothing, and refuses what a delete job refuses', async () => {
    const url = env!.server.url;
    const date = nextDate();
    await runJob(url, 'POST', '', [{ account_id: 2, description: 'b', amount: '1.00', transaction_date: date }]);
    const body = JSON.stringify([{ account_id: 2, description: 'b', transaction_date: date }]);
    for (let i = 0; i < 2; i++) {
      const again = (await (
        await fetch(`${url}/api/transactions/bulk/match/?unique_fields=${KEY}`, { method: 'POST', body })
      ).json()) as MatchResponse;
      expect(again).toEqual({ total_items: 1, matched_items: 1, errors: [] });
    }
    const jobs = (await (await fetch(`${url}/api/jobs/?state=Open`)).json()) as { jobs: unknown[] };
    expect(jobs.jobs).toEqual([]);
    expect((await fetch(`${url}/api/transactions/bulk/match/`, { method: 'POST', body })).status).toBe(400);
    expect(
      (await fetch(`${url}/api/transactions/bulk/match/?unique_fields=amount`, { method: 'POST', body })).status,
    ).toBe(400);
    expect((await fetch(`${url}/api/nope/bulk/match/?unique_fields=${KEY}`, { method: 'POST', body })).status).toBe(
      404,
    );
    expect(
      (await fetch(`${url}/api/transactions/bulk/match/?unique_fields=${KEY}`, { method: 'POST', body: '[{' })).status,
    ).toBe(400);
  });
});
