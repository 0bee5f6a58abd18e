// A finished job's results as the server gives them: its aggregates and every record error
// (status first, then the errors pages), gathered but not yet trusted: reconcile-job checks them.
import type { AggregateValue, RecordError, StatusResponse } from '../../protocol/index.js';
import { ApiError } from '../../client/api-error.js';
import type { JobApiClient } from '../../client/job-api-client.js';
import { sleep } from '../../client/sleep.js';
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
 * After a job is final: its aggregates and every record error, paging past the status's first 100
 * where the server has an errors endpoint. `rows` bounds the paging: a job cannot have more errors
 * than rows, so a server that ignores the offset cannot keep the client reading forever.
 */
export async function collectJobResults(
  client: JobApiClient,
  ref: JobRef,
  status: StatusResponse,
  rows: number,
  signal?: AbortSignal,
): Promise<JobResults> {
  const { records, job } = rawStatusErrors(status.errors);
  let recordErrors = records;
  const errorCount = Number(status.error_count);
  if (ref.errorsUrl && Number.isFinite(errorCount) && errorCount > records.length) {
    const all: unknown[] = [];
    // Pages are followed by what each one held, not by the limit asked: a server may cap its pages.
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
