/**
 * Migration 7: runs. The run a job belongs to (its client's Bulk-Run header), indexed per owner so
 * a run's jobs are found without a scan; and each record error's offending value (cut short), so
 * an error can be shown as `file:line  field  error  value` after the job's body is gone.
 */
import { addColumn, type Migration } from './migration.js';

export const runs: Migration = {
  version: 7,
  name: '007_runs',
  sql: (d) => `${addColumn(d, 'bulk_jobs', 'run_id TEXT')};
CREATE INDEX IF NOT EXISTS bulk_jobs_run ON bulk_jobs(owner, run_id, seq);
${addColumn(d, 'bulk_job_errors', 'value TEXT')}`,
};
