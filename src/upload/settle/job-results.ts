// A finished job's results as the server gives them: its aggregates and every record error
// (status first, then the errors pages), gathered but not yet trusted: reconcile-job checks them.
import type { AggregateValue, RecordError, StatusResponse } from '../../protocol/index.js';
import { ApiError, errorMessageOf } from '../../client/api-error.js';
import type { JobApiClient } from '../../client/job-api-client.js';
import { sleep } from '../../client/sleep.js';
import { answerOf, classifyAnswer } from './answer-table.js';
import type { JobRef } from '../../client/job-ref.js';

export interface JobResults {
  aggregates: Record<string, AggregateValue> | null;
  /** Entries that name a row (an index that is not null), as received: reconciliation checks them. */
  recordErrors: unknown[];
  jobErrors: string[];
}

const ERRORS_PAGE = 1000;

/** Splits a status's `errors` into record errors and job-level ones (plain strings, or index null). */
export function splitStatusErrors(errors: StatusResponse['errors']): { records: RecordError[]; job: string[] } {
  const records: RecordError[] = [];
  const job: string[] = [];
  for (const entry of errors ?? []) {
    if (typeof entry === 'string') job.push(entry);
    else if (entry && typeof entry.index === 'number') records.push(entry as RecordError);
    else if (entry && typeof entry.error === 'string') job.push(entry.error);
  }
  return { records, job };
}

/** A status's `errors` as received: entries that name a row, and the job-level messages. */
function rawStatusErrors(errors: unknown): { records: unknown[]; job: string[] } {
  const records: unknown[] = [];
  const job: string[] = [];
  for (const entry of Array.isArray(errors) ? (errors as unknown[]) : []) {
    if (typeof entry === 'string') job.push(entry);
    else if (entry && typeof entry === 'object') {
      const { index, error } = entry as { index?: unknown; error?: unknown };
      if (index !== null && index !== undefined) records.push(entry);
      else if (typeof error === 'string') job.push(error);
    }
  }
  return { records, job };
}

/**
 * How a run asks for aggregates: a server that has none ready at a final state is asked once more,
 * then taken at its word for the rest of the run ("not available from this server"): one request a
 * job after that, never a wait.
 */
export class AggregatesPolicy {
  private unavailable = false;
  /** One job at a time asks once more: jobs finishing together do not each wait and ask again. */
  private askingAgain = false;
  constructor(private readonly notice: (text: string) => void = () => undefined) {}

  async ask(client: JobApiClient, ref: JobRef, signal?: AbortSignal): Promise<Record<string, AggregateValue> | null> {
    let answer = await askOnce(client, ref);
    if (typeof answer === 'string' && !this.unavailable && !this.askingAgain) {
      this.askingAgain = true;
      try {
        await sleep(AGGREGATES_RETRY_MS, signal);
        answer = await askOnce(client, ref);
      } finally {
        this.askingAgain = false;
      }
    }
    if (typeof answer !== 'string') return answer;
    if (!this.unavailable) {
      this.unavailable = true;
      this.notice(`aggregates: not available from this server (${answer}); the rows' counts are not affected`);
    }
    return null;
  }
}

/** The job's aggregates, or why there are none. */
async function askOnce(client: JobApiClient, ref: JobRef): Promise<Record<string, AggregateValue> | string> {
  try {
    const res = await client.getAggregates(ref);
    if (res && typeof res.aggregate_results === 'object' && res.aggregate_results !== null)
      return res.aggregate_results;
    return errorMessageOf(res, 'an answer without aggregate_results');
  } catch (err) {
    // The table's aggregates row: whatever the answer, the rows stand and the run goes on.
    if (!(err instanceof ApiError) || classifyAnswer('aggregates', answerOf(err)).rows !== 'kept') throw err;
    return err.message;
  }
}

/** The guide computes aggregates "when the job completes": a server may flip the state a moment first. */
const AGGREGATES_RETRY_MS = 300;

/**
 * After a job is final: its aggregates and every record error, paging past the status's first 100
 * where the server has an errors endpoint. `rows` bounds the paging: a job cannot have more errors
 * than rows, so a server that ignores the offset cannot keep the client reading forever. An errors
 * page that cannot be read leaves the failed rows the status did not name counted without their
 * lines (the table's errors row); aggregates that cannot be read are not available.
 */
export async function collectJobResults(
  client: JobApiClient,
  ref: JobRef,
  status: StatusResponse,
  rows: number,
  aggregates: AggregatesPolicy,
  signal?: AbortSignal,
): Promise<JobResults> {
  const { records, job } = rawStatusErrors(status.errors);
  let recordErrors = records;
  const errorCount = Number(status.error_count);
  if (ref.errorsUrl && Number.isFinite(errorCount) && errorCount > records.length) {
    try {
      const all = await errorPages(client, ref, rows);
      if (all.length >= records.length) recordErrors = all;
    } catch (err) {
      if (!(err instanceof ApiError) || classifyAnswer('errors', answerOf(err)).rows !== 'unattributed') throw err;
      job.push(`the errors of job ${ref.jobId} could not be read (${err.message})`);
    }
  }
  const aggs = status.state === 'Job Complete' ? await aggregates.ask(client, ref, signal) : null;
  return { aggregates: aggs, recordErrors, jobErrors: job };
}

/** Every record error of the errors pages, paged by what each held, not the limit asked (a server may cap pages). */
async function errorPages(client: JobApiClient, ref: JobRef, rows: number): Promise<unknown[]> {
  const all: unknown[] = [];
  for (let offset = 0; offset < rows && all.length < rows;) {
    const page = await client.getErrorsPage(ref, offset, ERRORS_PAGE);
    if (!page || !Array.isArray(page.errors) || page.errors.length === 0) break;
    offset += page.errors.length;
    all.push(
      ...(page.errors as unknown[]).filter(
        (e) => e && typeof e === 'object' && (e as { index?: unknown }).index != null,
      ),
    );
    const total = Number(page.total);
    if (Number.isFinite(total) ? offset >= total : page.errors.length < ERRORS_PAGE) break;
  }
  return all;
}
