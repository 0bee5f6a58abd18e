/**
 * Runs one claimed job chunk by chunk: each chunk's records commit with the job's progress and
 * aggregate state, so whatever stops the run (a lost database, a lost lease, shutdown) leaves the
 * job exactly at its last committed chunk for this node or another to continue. While it runs, a
 * heartbeat keeps the job's lease (on stores that lease), whatever the size of a chunk.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { nowIso } from '../clock.js';
import type { JobEvents } from '../job-events.js';
import { releaseAfter } from '../observe/heap-release.js';
import type { ServerLogger } from '../observe/server-log.js';
import type { ServerMetrics } from '../observe/server-metrics.js';
import { AggregateAccumulator } from '../resources/aggregates.js';
import type { ResourceDef, SqlValue } from '../../resources/resource-types.js';
import { isStoreTransient } from '../store/store-errors.js';
import { ABORTED, LeaseLostError, type ClaimedJob, type JobStore, type StoredRecordError } from '../store/store.js';
import { sentValue } from '../records/error-value.js';
import { columnValidator, recordValidator } from './record-validator.js';
import { isCsvSource } from '../records/csv-records.js';
import type { RecordSource } from '../records/json-records.js';
import { recordsOfStored } from '../records/stored-payload.js';

/** A chunk's records checked ahead of its turn, with where it ends. */
type Checked = ReturnType<typeof validatedChunk> & { end: number };

/** How a run ended: the job final, or let go to be continued from its last committed chunk. */
export type RunOutcome = 'final' | 'stopped' | 'lease-lost' | 'store-error';

export interface RunnerDeps {
  store: JobStore;
  resources: Map<string, ResourceDef>;
  events: JobEvents;
  log: ServerLogger;
  metrics?: ServerMetrics;
  /** Rows for the next chunk. */
  chunkRows(): number;
  /** Told how long a chunk of `size` rows took, for the speed estimate. */
  measured(size: number, seconds: number, owner: string): void;
  stopping(): boolean;
  /** The records the HTTP side already parsed, if it kept them. */
  takeRecords(jobId: string): RecordSource | undefined;
  /** Records to keep for the next attempt at a job let go after a store error. */
  keepRecords(jobId: string, records: RecordSource, owner: string): void;
  beforeChunk?: (job: { id: string; processedItems: number }) => Promise<void> | void;
  /** How often the lease is renewed while a job runs. */
  heartbeatMs: number;
}

export async function runJob(deps: RunnerDeps, job: ClaimedJob, workerId: string): Promise<RunOutcome> {
  const { store, events, log } = deps;
  const jobLog = log.child({ job_id: job.id });
  let records: RecordSource | undefined;
  let leaseLost = false;
  const heartbeat = store.renewLease ? setInterval(() => void renew(), deps.heartbeatMs) : null;
  const renew = async () => {
    try {
      if (!(await store.renewLease?.(job.id, workerId))) leaseLost = true;
    } catch (err) {
      // The store is away: the chunk in hand fails the same way and the job is let go; nothing to do here.
      jobLog.debug({ err: (err as Error).message }, 'lease renewal failed');
    }
  };
  const started = performance.now();
  try {
    const resource = deps.resources.get(job.resource);
    if (!resource) throw new Error(`resource ${job.resource} is no longer configured`);
    records = deps.takeRecords(job.id) ?? recordsOfStored(await store.loadPayload(job.id));
    const agg = new AggregateAccumulator(resource, job.aggState ?? undefined);
    const validate = recordValidator(resource, job);
    const byColumn = isCsvSource(records) ? columnValidator(resource, job, records.columns) : null;
    let processed = job.processedItems;
    let starting = job.state === 'Open';
    /** The next chunk, checked while the one before it committed (PostgreSQL commits off this thread). */
    let ahead: Checked | null = null;
    while (processed < records.length) {
      if (deps.stopping()) return 'stopped';
      await deps.beforeChunk?.({ id: job.id, processedItems: processed });
      if (deps.stopping()) return 'stopped';
      if (leaseLost) throw new LeaseLostError(`job ${job.id}: lease lost (renewal refused)`);
      if (await store.isAbortRequested(job.id)) {
        // The records already stored keep their results, and their aggregates.
        await store.finishJob(job.id, {
          state: 'Aborted',
          now: nowIso(),
          aggregates: agg.resultsJson(),
          jobErrors: [ABORTED],
        });
        jobLog.info({ processed }, 'job aborted');
        events.changed(job.id);
        return 'final';
      }
      const chunkStart = performance.now();
      const end: number = ahead?.end ?? Math.min(records.length, processed + deps.chunkRows());
      const { rows, invalid } = ahead ?? validatedChunk(records, validate, processed, end, byColumn);
      ahead = null;
      const size = end - processed;
      const storedBefore = agg.state.stored;
      const committing = store.commitChunk({
        job,
        resource,
        rows,
        invalid,
        size,
        onStored: (values) => agg.addStored(values),
        aggState: () => {
          agg.addProcessed(size, size - (agg.state.stored - storedBefore));
          return agg.snapshot();
        },
        now: nowIso(),
        start: starting,
        finish: end === records.length ? () => agg.resultsJson() : undefined,
        workerId,
      });
      // Checking the next chunk changes nothing stored: it runs on this thread while the database
      // works on this one's commit (the first moment the commit waits for an answer), then is kept.
      const nextEnd = Math.min(records.length, end + deps.chunkRows());
      const checking: Promise<Checked> | null =
        nextEnd > end
          ? yieldToLoop().then(() => ({
              ...validatedChunk(records as RecordSource, validate, end, nextEnd, byColumn),
              end: nextEnd,
            }))
          : null;
      const [result, next] = await Promise.all([committing, checking]);
      ahead = next;
      starting = false;
      processed = end;
      const seconds = (performance.now() - chunkStart) / 1000;
      deps.measured(size, seconds, job.owner);
      deps.metrics?.chunkSeconds.observe(seconds);
      deps.metrics?.rowsStored.inc(result.stored);
      deps.metrics?.rowsFailed.inc(result.errors.length);
      jobLog.debug(
        { rows: size, stored: result.stored, failed: result.errors.length, processed, ms: Math.round(seconds * 1000) },
        'chunk committed',
      );
      events.changed(job.id);
      await yieldToLoop();
    }
    if (processed === job.processedItems) {
      // Every chunk was committed by an earlier run; only the end was missing.
      await store.finishJob(job.id, {
        state: 'Job Complete',
        now: nowIso(),
        aggregates: agg.resultsJson(),
        jobErrors: null,
      });
      events.changed(job.id);
    }
    jobLog.info(
      {
        state: 'Job Complete',
        items: records.length,
        stored: agg.state.stored,
        seconds: Math.round(performance.now() - started) / 1000,
      },
      'job finished',
    );
    return 'final';
  } catch (err) {
    return await settleFailure(deps, job, jobLog, err, records);
  } finally {
    if (heartbeat) clearInterval(heartbeat);
    if (records) releaseAfter(records.heldBytes);
  }
}

/**
 * Records [from, to) checked: the rows to write (their values as stored) and the records refused,
 * by index. A CSV source's rows are checked by column (`byColumn`), with no record object made.
 */
export function validatedChunk(
  records: RecordSource,
  validate: ReturnType<typeof recordValidator>,
  from: number,
  to: number,
  byColumn: ReturnType<typeof columnValidator> = null,
): { rows: { index: number; values: SqlValue[] }[]; invalid: StoredRecordError[] } {
  const rows: { index: number; values: SqlValue[] }[] = [];
  const invalid: StoredRecordError[] = [];
  const csv = byColumn && isCsvSource(records) ? records : null;
  for (let i = from; i < to; i++) {
    const record = csv ? null : records.at(i);
    const v = csv && byColumn ? byColumn(csv.valuesAt(i)) : validate(record);
    if (v.ok) rows.push({ index: i, values: v.values });
    else if (!v.field) invalid.push({ index: i, error: v.error });
    // The value as sent, beside the error: a CSV row's record is made only for a row refused.
    else invalid.push({ index: i, field: v.field, error: v.error, value: sentValue(record ?? records.at(i), v.field) });
  }
  return { rows, invalid };
}

/** A run that threw: let go (lease lost, store away) or, for anything else, the job fails. */
async function settleFailure(
  deps: RunnerDeps,
  job: ClaimedJob,
  jobLog: ServerLogger,
  err: unknown,
  records: RecordSource | undefined,
): Promise<RunOutcome> {
  if (err instanceof LeaseLostError) {
    // Another node holds the job now (this one was too slow, or paused): its chunk rolled back; drop the job.
    jobLog.warn({ err: err.message }, 'job taken over by another node');
    return 'lease-lost';
  }
  if (isStoreTransient(err)) {
    // The chunk in hand rolled back; the job stays where its last commit left it, for a retry.
    if (records) deps.keepRecords(job.id, records, job.owner);
    return 'store-error';
  }
  const error = err as Error;
  jobLog.error({ err: error }, 'job failed');
  try {
    await deps.store.finishJob(job.id, {
      state: 'Failed',
      now: nowIso(),
      aggregates: null,
      jobErrors: [`Job could not finish: ${error.message}`],
    });
  } catch (again) {
    if (isStoreTransient(again)) return 'store-error';
    jobLog.error({ err: again as Error }, 'could not record the failure');
  }
  deps.events.changed(job.id);
  return 'final';
}
