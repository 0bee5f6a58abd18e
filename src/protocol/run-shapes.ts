// (ext) The JSON bodies of the runs endpoints (/api/runs/…), as both the client and the server type them.
import type { StatusResponse } from './shapes.js';

/** running: a job is not final; else aborted, failed (a job of it), or completed (rows may have been rejected). */
export type RunState = 'running' | 'completed' | 'failed' | 'aborted';

export interface RunView {
  run_id: string;
  state: RunState;
  files: string[];
  resources: string[];
  jobs: number;
  total_items: number;
  processed_items: number;
  success_count: number;
  error_count: number;
  /** success_count by what the jobs did. */
  created: number;
  updated: number;
  deleted: number;
  unfinished_jobs: number;
  failed_jobs: number;
  aborted_jobs: number;
  first_at: string;
  last_at: string;
  run_url: string;
  jobs_url: string;
  errors_url: string;
  abort_url: string;
}

/** One record error of a run or job, located in its input. */
export interface RunErrorView {
  job_id: string;
  /** 0-based position in the job's array. */
  index: number;
  file: string | null;
  /** The input line, when the job's line range holds one line per row; else null (see first_line/last_line). */
  line: number | null;
  first_line: number | null;
  last_line: number | null;
  field: string | null;
  error: string;
  /** The offending value as sent, cut to 200 characters; null when the row had none for the field. */
  value: string | null;
}

export interface RunReasonView {
  field: string | null;
  error: string;
  count: number;
  first: RunErrorView | null;
}

export interface RunDetail extends RunView {
  /** Record errors counted by field and reason, largest first (the first 20). */
  reasons: RunReasonView[];
}

export interface RunList {
  runs: RunView[];
  /** The cursor of the next page (`?before=`), null on the last. */
  next: string | null;
}

export interface RunJobsPage {
  run_id: string;
  jobs: StatusResponse[];
  /** `?after=` for the next page, null on the last. */
  next: string | null;
}

export interface LocatedErrorsPage {
  errors: RunErrorView[];
  /** `?after=` for the next page, null on the last. */
  next: string | null;
}

export interface RunAbortResult {
  run: RunView;
  /** The jobs asked to stop. */
  aborted: string[];
}
