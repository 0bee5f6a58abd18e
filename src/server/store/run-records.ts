/** The records of runs (ext) as the store hands them out: a run's sums, a located error, a reason's count. */
import type { JobSource } from '../../protocol/job-source.js';

export interface RunRecord {
  runId: string;
  jobs: number;
  /** Its input files (from the jobs' Bulk-Source), in the order their first job was made. */
  files: string[];
  resources: string[];
  totalItems: number;
  processedItems: number;
  successCount: number;
  errorCount: number;
  /** success_count split by what the jobs did. */
  created: number;
  updated: number;
  deleted: number;
  unfinishedJobs: number;
  failedJobs: number;
  abortedJobs: number;
  firstAt: string;
  lastAt: string;
}

/** One record error with what it takes to say `file:line  field  error  value`. */
export interface RunErrorRecord {
  jobId: string;
  seq: number;
  index: number;
  field: string | null;
  error: string;
  value: string | null;
  source: JobSource | null;
  totalItems: number;
}

export interface ReasonCount {
  field: string | null;
  error: string;
  count: number;
  /** The first row that failed so. */
  first: RunErrorRecord | null;
}

export interface RunCursor {
  firstAt: string;
  runId: string;
}

export interface ErrorCursor {
  seq: number;
  index: number;
}
