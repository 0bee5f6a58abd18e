// Where a job's status answer (polled, aborted or streamed as an event) becomes a StatusResponse:
// an answer without a state, or with a state word outside the protocol's five, is a violation.
import { JOB_STATES, type JobState, type StatusResponse } from '../protocol/index.js';
import { ApiError } from './api-error.js';

const KNOWN_STATES: ReadonlySet<string> = new Set<string>(JOB_STATES);

/** The status `body` of job `jobId`, or an ApiError('protocol') naming what is wrong with it. */
export function parseStatus(body: unknown, jobId: string, httpStatus: number | null = null): StatusResponse {
  const state = body && typeof body === 'object' ? (body as { state?: unknown }).state : undefined;
  if (typeof state !== 'string')
    throw new ApiError('protocol', `status of job ${jobId} has no state`, httpStatus, body);
  if (!KNOWN_STATES.has(state)) {
    const shown = state.length > 40 ? `${state.slice(0, 40)}…` : state;
    throw new ApiError(
      'protocol',
      `status of job ${jobId} has the state "${shown}", which is not one of the protocol's (${JOB_STATES.join(', ')})`,
      httpStatus,
      body,
    );
  }
  return body as StatusResponse & { state: JobState };
}
