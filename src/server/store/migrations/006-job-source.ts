/** Migration 6: where a job's rows came from, as the client said on job start (file and line range, JSON). */
import { addColumn, type Migration } from './migration.js';

export const jobSource: Migration = {
  version: 6,
  name: '006_job_source',
  sql: (d) => addColumn(d, 'bulk_jobs', 'source TEXT'),
};
