/** The mapping of a bulk_jobs row, as either database returns it, to a JobRecord. */
import type { JobState, JobType } from '../../protocol/index.js';
import type { AggregateState } from '../resources/aggregates.js';
import type { JobRecord } from './store.js';
import type { JobSource } from '../../protocol/job-source.js';

/**
 * A `bulk_jobs` row as either database returns it. The two differ only in how drivers hand back
 * a bigint sequence (PostgreSQL: text) and a boolean (SQLite: 0/1).
 */
export interface JobRow {
  seq: number | string;
  id: string;
  resource: string;
  job_type: string;
  owner: string;
  state: string;
  total_items: number;
  processed_items: number;
  success_count: number;
  error_count: number;
  unique_fields: string | null;
  update_fields: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  completed_at: string | null;
  abort_requested: number | boolean;
  agg_state: string | null;
  aggregates: string | null;
  job_errors: string | null;
  node: string | null;
  /** JSON, when the client said where the rows came from (migration 6). */
  source?: string | null;
  /** The client's Bulk-Run header (migration 7). */
  run_id?: string | null;
  /** Computed by the query: running with no live lease (PostgreSQL); absent for SQLite. */
  awaiting_takeover?: number | boolean | null;
}

export function toJobRecord(r: JobRow): JobRecord {
  return {
    id: r.id,
    seq: Number(r.seq),
    resource: r.resource,
    jobType: r.job_type as JobType,
    owner: r.owner,
    state: r.state as JobState,
    totalItems: r.total_items,
    processedItems: r.processed_items,
    successCount: r.success_count,
    errorCount: r.error_count,
    uniqueFields: r.unique_fields ? (JSON.parse(r.unique_fields) as string[]) : null,
    updateFields: r.update_fields ? (JSON.parse(r.update_fields) as string[]) : null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    startedAt: r.started_at,
    completedAt: r.completed_at,
    abortRequested: r.abort_requested === true || r.abort_requested === 1,
    aggState: r.agg_state ? (JSON.parse(r.agg_state) as AggregateState) : null,
    aggregates: r.aggregates,
    jobErrors: r.job_errors ? (JSON.parse(r.job_errors) as string[]) : null,
    node: r.node ?? null,
    source: r.source ? (JSON.parse(r.source) as JobSource) : null,
    runId: r.run_id ?? null,
    awaitingTakeover: r.awaiting_takeover === true || r.awaiting_takeover === 1,
  };
}
