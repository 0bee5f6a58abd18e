// Generated write sequences (insert, upsert, delete jobs split into random chunks) run against a
// store and against a model of writing the rows one by one in file order: every row's outcome and
// the final table must agree. Shared by the quick run in npm test and the long one in test:faults.
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import pg from 'pg';
import { expect } from 'vitest';
import { AggregateAccumulator } from '../../src/server/resources/aggregates.js';
import { parseResources } from '../../src/server/resources/load-resources.js';
import type { ResourceDef, SqlValue } from '../../src/resources/resource-types.js';
import { PostgresStore } from '../../src/server/store/postgres-store.js';
import { SqliteStore } from '../../src/server/store/sqlite-store.js';
import type { JobRecord, JobStore } from '../../src/server/store/store.js';
import type { JobType, RecordError } from '../../src/protocol/index.js';
import { createTestSchema } from '../helpers/pg.js';
import { parseBulkBody } from '../../src/server/http/bulk-body.js';
import type { RecordSource } from '../../src/server/records/json-records.js';
import { validatedChunk } from '../../src/server/worker/job-runner.js';
import { columnValidator, recordValidator } from '../../src/server/worker/record-validator.js';
import { isCsvSource } from '../../src/server/records/csv-records.js';

const LIMITS = { maxItems: 1000, maxKeysPerRecord: 100, maxDepth: 8 };
import { tempDir } from '../helpers/temp.js';

/** Two resources: one key (the fold path) and two keys (clashes on the other key, row by row). */
export const MODEL_RESOURCES = parseResources(
  {
    resources: {
      items: {
        fields: {
          code: { type: 'text', required: true },
          sku: { type: 'text' },
          name: { type: 'text' },
          qty: { type: 'integer' },
        },
        unique: [['code'], ['sku']],
      },
      notes: {
        fields: { k: { type: 'integer', required: true }, v: { type: 'text' }, w: { type: 'text' } },
        unique: [['k']],
      },
    },
  },
  'model resources',
);

export interface ModelJob {
  resource: 'items' | 'notes';
  jobType: JobType;
  /** The key an upsert or delete names, as field names. */
  key: string[];
  /** Update fields of an upsert (null: every non-key field). */
  updateFields: string[] | null;
  rows: SqlValue[][];
  /** Chunk sizes to split the rows into (cycled). */
  chunks: number[];
}

const item = fc.tuple(
  fc.constantFrom('a', 'b', 'c', 'd'),
  fc.constantFrom<SqlValue>(null, 'x', 'y'),
  fc.constantFrom<SqlValue>(null, 'n1', 'n2\t\\'),
  fc.constantFrom<SqlValue>(null, 1, 2),
);
const note = fc.tuple(
  fc.constantFrom(1, 2, 3),
  fc.constantFrom<SqlValue>(null, 'v1', 'v2\nline'),
  fc.constantFrom<SqlValue>(null, 'w1', 'w2'),
);

const jobArb: fc.Arbitrary<ModelJob> = fc
  .oneof(
    fc.record({
      resource: fc.constant('items' as const),
      jobType: fc.constantFrom<JobType>('insert', 'upsert', 'delete'),
      key: fc.constantFrom<string[]>(['code'], ['sku']),
      updateFields: fc.constantFrom<string[] | null>(null, ['name'], ['qty', 'sku']),
      rows: fc.array(
        item.map((r) => [...r] as SqlValue[]),
        { minLength: 1, maxLength: 8 },
      ),
      chunks: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
    }),
    fc.record({
      resource: fc.constant('notes' as const),
      jobType: fc.constantFrom<JobType>('insert', 'upsert', 'delete'),
      key: fc.constant<string[]>(['k']),
      updateFields: fc.constantFrom<string[] | null>(null, ['w']),
      rows: fc.array(
        note.map((r) => [...r] as SqlValue[]),
        { minLength: 1, maxLength: 8 },
      ),
      chunks: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
    }),
  )
  .map((job) => {
    // A keyed row needs its key (the worker refuses one without); a delete carries nothing else.
    const def = MODEL_RESOURCES.get(job.resource) as ResourceDef;
    const keyIdx = job.key.map((k) => def.fields.findIndex((f) => f.name === k));
    if (job.jobType === 'insert') return { ...job, updateFields: null };
    const rows = job.rows.map((r) =>
      r.map((v, i) => (keyIdx.includes(i) ? (v ?? `k${i}`) : job.jobType === 'delete' ? null : v)),
    );
    return { ...job, rows, updateFields: job.jobType === 'upsert' ? job.updateFields : null };
  });

export const jobsArb = fc.array(jobArb, { minLength: 1, maxLength: 4 });

type Rec = { values: SqlValue[]; jobIndex: number; jobNo: number };
export type Outcome = { index: number; field?: string; error: string };

/** Writing rows one at a time in file order, as the protocol describes: the expected outcomes and table. */
export function modelRun(jobs: ModelJob[]): { errors: Outcome[][]; tables: Record<string, string[]> } {
  const tables: Record<string, Rec[]> = { items: [], notes: [] };
  const errors: Outcome[][] = [];
  jobs.forEach((job, jobNo) => {
    const def = MODEL_RESOURCES.get(job.resource) as ResourceDef;
    const recs = tables[job.resource] as Rec[];
    const idx = (names: string[]) => names.map((n) => def.fields.findIndex((f) => f.name === n));
    const keys = def.uniqueKeys.map((k) => ({ label: k.join(','), idx: idx(k) }));
    const matches = (values: SqlValue[], r: Rec, ki: number[]) =>
      ki.every((i) => values[i] !== null && values[i] === r.values[i]);
    /** The first declared key the row's values find a record on, as the writers label a duplicate. */
    const probe = (values: SqlValue[]) =>
      (keys.find((k) => recs.some((r) => matches(values, r, k.idx))) ?? keys[0])?.label;
    const clashes = (values: SqlValue[], except?: Rec) =>
      keys.some((k) => recs.some((r) => r !== except && matches(values, r, k.idx)));
    const out: Outcome[] = [];
    const keyIdx = idx(job.key);
    const updatable = idx(job.updateFields ?? def.fields.map((f) => f.name).filter((f) => !job.key.includes(f)));
    job.rows.forEach((values, index) => {
      const found = job.jobType === 'insert' ? undefined : recs.find((r) => matches(values, r, keyIdx));
      if (job.jobType === 'delete') {
        if (found) recs.splice(recs.indexOf(found), 1);
        else out.push({ index, field: job.key.join(','), error: 'no record with this key' });
        return;
      }
      if (found) {
        const next = found.values.slice();
        for (const i of updatable) if (values[i] !== null) next[i] = values[i] as SqlValue;
        if (clashes(next, found)) out.push({ index, field: probe(values), error: 'duplicate of an existing record' });
        else Object.assign(found, { values: next, jobIndex: index, jobNo });
        return;
      }
      if (clashes(values)) out.push({ index, field: probe(values), error: 'duplicate of an existing record' });
      else recs.push({ values: values.slice(), jobIndex: index, jobNo });
    });
    errors.push(out);
  });
  const show = (recs: Rec[]) => recs.map((r) => JSON.stringify([...r.values, r.jobNo, r.jobIndex])).sort();
  return { errors, tables: { items: show(tables.items as Rec[]), notes: show(tables.notes as Rec[]) } };
}

export interface ModelBackend {
  store: JobStore;
  /** The resource tables as the model shows them (job ids mapped to their job's number). */
  tables: (jobIds: string[]) => Promise<Record<string, string[]>>;
  reset: () => Promise<void>;
  dispose: () => Promise<void>;
}

async function tablesOf(
  query: (sql: string) => Promise<Record<string, unknown>[]>,
  jobIds: string[],
): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [name, def] of MODEL_RESOURCES) {
    const rows = await query(`SELECT * FROM ${name}`);
    out[name] = rows
      .map((r) =>
        JSON.stringify([
          ...def.fields.map((f) => (f.type === 'integer' && r[f.name] !== null ? Number(r[f.name]) : r[f.name])),
          jobIds.indexOf(r.job_id as string),
          Number(r.job_index),
        ]),
      )
      .sort();
  }
  return out;
}

export async function sqliteModelBackend(): Promise<ModelBackend> {
  const file = path.join(tempDir(), 'model.db');
  const store = new SqliteStore(file);
  await store.init(MODEL_RESOURCES);
  const db = new Database(file);
  return {
    store,
    tables: (ids) => tablesOf(async (sql) => db.prepare(sql).all() as Record<string, unknown>[], ids),
    reset: async () => void db.exec('DELETE FROM items; DELETE FROM notes;'),
    dispose: async () => {
      db.close();
      await store.close();
    },
  };
}

export async function postgresModelBackend(): Promise<ModelBackend> {
  const schema = await createTestSchema();
  const store = new PostgresStore(schema.url, { leaseMs: 60_000 });
  await store.init(MODEL_RESOURCES);
  const c = new pg.Client({ connectionString: schema.url, application_name: 'bulk-store-model' });
  await c.connect();
  return {
    store,
    tables: (ids) => tablesOf(async (sql) => (await c.query(sql)).rows as Record<string, unknown>[], ids),
    reset: async () => void (await c.query('DELETE FROM items; DELETE FROM notes;')),
    dispose: async () => {
      await c.end();
      await store.close();
      await schema.drop();
    },
  };
}

let jobCounter = 0;

/**
 * How a job's rows reach the store: as values (the writers alone), or sent as a request body of
 * either type, read and checked by the server as a job's records are (a null is an empty CSV
 * value, which the server reads as missing); a body job that fits its first chunk is run at once
 * (createAndRun), as a node that is free runs it.
 */
export type ModelVia = 'values' | 'application/json' | 'text/csv';

function asBody(def: ResourceDef, rows: SqlValue[][], via: 'application/json' | 'text/csv'): string {
  const names = def.fields.map((f) => f.name);
  if (via === 'application/json')
    return JSON.stringify(rows.map((r) => Object.fromEntries(names.map((n, i) => [n, r[i]]))));
  const cell = (v: SqlValue) => {
    const t = v === null ? '' : String(v);
    return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
  };
  return [names.join(','), ...rows.map((r) => r.map(cell).join(','))].join('\r\n');
}

/** The rows of [from, to) as the worker would write them, read from the body when there is one. */
function chunkRows(
  m: ModelJob,
  records: RecordSource | null,
  validate: ReturnType<typeof recordValidator>,
  from: number,
  to: number,
) {
  if (!records) return m.rows.slice(from, to).map((values, i) => ({ index: from + i, values }));
  const def = MODEL_RESOURCES.get(m.resource) as ResourceDef;
  const keyed = { jobType: m.jobType, uniqueFields: m.jobType === 'insert' ? null : m.key };
  const byColumn = isCsvSource(records) ? columnValidator(def, keyed, records.columns) : null;
  const { rows, invalid } = validatedChunk(records, validate, from, to, byColumn);
  expect(invalid).toEqual([]);
  return rows;
}

/** Runs the jobs through the store as the worker would (chunk by chunk), returning each job's record errors. */
export async function storeRun(
  b: ModelBackend,
  jobs: ModelJob[],
  via: ModelVia = 'values',
): Promise<{ errors: Outcome[][]; jobIds: string[] }> {
  const errors: Outcome[][] = [];
  const jobIds: string[] = [];
  for (const m of jobs) {
    const def = MODEL_RESOURCES.get(m.resource) as ResourceDef;
    const id = `00000000-0000-4000-9000-${String(++jobCounter).padStart(12, '0')}`;
    jobIds.push(id);
    const keyed = m.jobType !== 'insert';
    const newJob = {
      id,
      resource: m.resource,
      jobType: m.jobType,
      owner: '',
      totalItems: m.rows.length,
      uniqueFields: keyed ? m.key : null,
      updateFields: m.updateFields,
      createdAt: '2026-01-01T00:00:00Z',
      runner: 'local',
    };
    const records = via === 'values' ? null : parseBulkBody(via, asBody(def, m.rows, via), LIMITS).records;
    const validate = recordValidator(def, newJob);
    const agg = new AggregateAccumulator(def);
    if (records && (m.chunks[0] as number) >= m.rows.length) {
      const out = await b.store.createAndRun(newJob, {
        job: {
          ...newJob,
          seq: 0,
          state: 'Open',
          processedItems: 0,
          successCount: 0,
          errorCount: 0,
        } as unknown as JobRecord,
        resource: def,
        rows: chunkRows(m, records, validate, 0, m.rows.length),
        invalid: [],
        size: m.rows.length,
        onStored: (v) => agg.addStored(v),
        aggState: () => agg.snapshot(),
        now: '2026-01-01T00:00:01Z',
        start: true,
        finish: () => agg.resultsJson(),
        workerId: 'local',
      });
      errors.push(out.errors.map((e) => ({ ...e })));
      expect((await b.store.getJob(id))?.state).toBe('Job Complete');
      continue;
    }
    await b.store.createJob(newJob, '[]');
    let job = (await b.store.claimNext('local')) as JobRecord;
    const found: RecordError[] = [];
    let from = 0;
    for (let c = 0; from < m.rows.length; c++) {
      const size = Math.min(m.chunks[c % m.chunks.length] as number, m.rows.length - from);
      const rows = chunkRows(m, records, validate, from, from + size);
      const last = from + size === m.rows.length;
      const out = await b.store.commitChunk({
        job,
        resource: def,
        rows,
        invalid: [],
        size,
        onStored: (v) => agg.addStored(v),
        aggState: () => agg.snapshot(),
        now: '2026-01-01T00:00:01Z',
        start: c === 0,
        finish: last ? () => agg.resultsJson() : undefined,
        workerId: 'local',
      });
      found.push(...out.errors);
      from += size;
      job = (await b.store.getJob(id)) as JobRecord;
    }
    errors.push(found.map((e) => ({ ...e })));
  }
  return { errors, jobIds };
}

/** Runs the jobs on a clean store and on the model; outcomes and tables must be equal. */
export async function checkAgainstModel(b: ModelBackend, jobs: ModelJob[], via: ModelVia = 'values'): Promise<void> {
  await b.reset();
  const expected = modelRun(jobs);
  const got = await storeRun(b, jobs, via);
  expect(got.errors).toEqual(expected.errors);
  expect(await b.tables(got.jobIds)).toEqual(expected.tables);
}

export const BACKENDS = [
  ['SqliteStore', sqliteModelBackend],
  ['PostgresStore', postgresModelBackend],
] as const;
