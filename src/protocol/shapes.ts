// The JSON bodies of the job API, as both the client and the server type them.
import type { JobState, JobStatusWord, JobType } from './states.js';

/** One record that failed validation. `index` is the 0-based position in the job's array. */
export interface RecordError {
  index: number;
  field?: string;
  error: string;
}

/** A job-level failure: the job itself could not finish. */
export interface JobLevelError {
  index: null;
  error: string;
}

/** The guide's `Failed` example carries plain strings; clients must accept them too. */
export type StatusErrorEntry = RecordError | JobLevelError | string;

export interface StartResponse {
  message: string;
  job_id: string;
  task_id: string;
  total_items: number;
  status_url: string;
  aggregates_url: string;
  estimated_duration: string;
  next_steps: string[];
  tips: string[];
  unique_fields?: string[];
  update_fields?: string[] | null;
  // (ext)
  errors_url?: string;
  events_url?: string;
  abort_url?: string;
  /** Content types a start request's body may have: the JSON array, and NDJSON where offered. */
  body_types?: string[];
}

export interface StatusResponse {
  job_id: string;
  job_type: JobType;
  state: JobState;
  status: JobStatusWord;
  message: string;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
  total_items: number;
  processed_items: number;
  success_count: number;
  error_count: number;
  percentage: number;
  estimated_remaining: string | null;
  aggregates_ready: boolean;
  aggregates_completed: boolean;
  next_steps: string[];
  can_retry: boolean;
  errors: StatusErrorEntry[] | null;
  // (ext) present on `bulk serve`, optional for other servers
  resource?: string;
  status_url?: string;
  errors_url?: string;
  events_url?: string;
  aggregates_url?: string;
  abort_url?: string;
  started_at?: string | null;
  /** The server node running the job, or the last one that did. */
  node?: string | null;
  /** Running, but its node stopped renewing its lease: another node takes it over within seconds. */
  awaiting_takeover?: boolean;
  /**
   * Unfinished, and the server's store cannot write (`disk-full`, `read-only`, `locked`,
   * `unavailable`): the job waits for it, not for its turn. Absent while the store writes.
   */
  store_trouble?: string;
  /** Where the job's rows came from, when the client said on job start (job-source.ts). */
  source?: { file: string; first_line: number; last_line: number } | null;
  /** (ext) The run the job belongs to, when the client sent Bulk-Run (run-header.ts). */
  run_id?: string | null;
}

/** Aggregate values: numbers, exact decimal strings, or counts keyed by a field's value. */
export type AggregateValue = number | string | null | Record<string, number>;

export interface AggregatesResponse {
  job_id: string;
  aggregate_results: Record<string, AggregateValue>;
}

export interface ErrorsPage {
  job_id: string;
  total: number;
  offset: number;
  limit: number;
  errors: RecordError[];
}

/**
 * (ext) What a delete job with a body would do now: the rows it would fail (an invalid key, a key
 * naming no record, a key an earlier row of the body named) and how many records it would delete.
 */
export interface MatchResponse {
  total_items: number;
  matched_items: number;
  errors: RecordError[];
}

export interface JobsList {
  jobs: StatusResponse[];
}

export interface HealthResponse {
  status: 'ok' | string;
  version: string;
  [extra: string]: unknown;
}
