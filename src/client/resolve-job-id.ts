/**
 * Job ids as people type them: the 8-character ids printed everywhere, or any unique prefix of at
 * least 8 characters, resolved to the full id through the jobs list (its `id_prefix` (ext); a
 * server without it lists its newest jobs, and those are searched).
 */
import type { JobApiClient } from './job-api-client.js';

export const MIN_JOB_ID_PREFIX = 8;
const FULL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LIST_LIMIT = 500;

/** Why a typed id names no single job; `kind` says whether it could name one at all. */
export class JobIdError extends Error {
  constructor(
    message: string,
    readonly kind: 'too-short' | 'ambiguous' | 'not-found',
  ) {
    super(message);
  }
}

export function noJobMessage(typed: string): string {
  return `no job starting with ${typed}`;
}

export async function resolveJobId(client: Pick<JobApiClient, 'listJobs'>, typed: string): Promise<string> {
  const id = typed.trim();
  if (FULL_UUID.test(id)) return id;
  if (id.length < MIN_JOB_ID_PREFIX)
    throw new JobIdError(
      `a job id needs at least ${MIN_JOB_ID_PREFIX} characters: "${id}" could name many jobs`,
      'too-short',
    );
  const list = await client.listJobs({ idPrefix: id, limit: LIST_LIMIT });
  const matches = list.jobs.filter((j) => j.job_id.toLowerCase().startsWith(id.toLowerCase()));
  if (matches.length > 1) {
    const shown = matches.slice(0, 3).map((j) => j.job_id);
    throw new JobIdError(
      `${id} is the start of ${matches.length} jobs (${shown.join(', ')}${matches.length > 3 ? ', …' : ''}): ` +
        `give more of the id`,
      'ambiguous',
    );
  }
  // A server whose ids are not UUIDs may know the id as typed though it is not among its newest.
  return matches[0]?.job_id ?? id;
}
