import type { AggregateValue, RecordError, StatusResponse } from '../protocol/index.js';
import { ApiError } from '../client/api-error.js';
import type { JobApiClient } from '../client/job-api-client.js';
import { sleep } from '../client/sleep.js';
import type { JobRef } from '../client/job-ref.js';

export interface JobResults {
  aggregates: Record<string, AggregateValue> | null;
  recordErrors: RecordError[];
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

/** After a job is final: its aggregates and every record error, paging past the status's first 100. */
export async function collectJobResults(client: JobApiClient, ref: JobRef, status: StatusResponse, signal?: AbortSignal): Promise<JobResults> {
  const { records, job } = splitStatusErrors(status.errors);
  let recordErrors = records;
  if (ref.errorsUrl && status.error_count > records.length) {
    const all: RecordError[] = [];
    for (let offset = 0; ; offset += ERRORS_PAGE) {
      const page = await client.getErrorsPage(ref, offset, ERRORS_PAGE);
      if (!page || !Array.isArray(page.errors)) break;
      all.push(...page.errors);
      if (page.errors.length < ERRORS_PAGE || all.length >= page.total) break;
    }
    if (all.length >= records.length) recordErrors = all;
  }
  return { aggregates: await fetchAggregates(client, ref, status, signal), recordErrors, jobErrors: job };
}

async function fetchAggregates(client: JobApiClient, ref: JobRef, status: StatusResponse, signal?: AbortSignal) {
  if (status.state !== 'Job Complete') return null;
  // The guide computes aggregates "when the job completes": a server may flip the state a moment first.
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const res = await client.getAggregates(ref);
      return res.aggregate_results ?? null;
    } catch (err) {
      if (!(err instanceof ApiError) || err.kind !== 'rejected') throw err;
      await sleep(200 * (attempt + 1), signal);
    }
  }
  return null;
}
