/**
 * Migration 3: who holds a job and until when (many nodes on one database take a dead node's job
 * over when its lease runs out), a change counter the events poller compares, and the node that
 * last ran the job (shown in its status).
 */
import { addColumn, COLUMN, type Migration } from './migration.js';

export const jobLeases: Migration = {
  version: 3,
  name: '003_job_leases',
  sql: (d) =>
    [
      addColumn(d, 'bulk_jobs', 'lease_owner TEXT'),
      addColumn(d, 'bulk_jobs', `lease_until ${COLUMN[d].instant}`),
      addColumn(d, 'bulk_jobs', `version ${COLUMN[d].counter}`),
      addColumn(d, 'bulk_jobs', 'node TEXT'),
    ].join(';\n'),
};
