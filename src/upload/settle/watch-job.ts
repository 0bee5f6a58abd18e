// Follows one job to its final status: by server events where offered, else by polling on a
// schedule that backs off.
import { isFinal, type StatusResponse } from '../../protocol/index.js';
import type { JobApiClient } from '../../client/job-api-client.js';
import { sleep } from '../../client/sleep.js';
import type { JobRef } from '../../client/job-ref.js';
import { DEFAULT_POLL, nextPollInterval, type PollSchedule } from './poll-schedule.js';

export interface WatchOptions {
  onStatus: (status: StatusResponse) => void;
  signal?: AbortSignal;
  poll?: PollSchedule;
  /** Use server events when the server offers them. @default true */
  useEvents?: boolean;
}

/**
 * Waits for a job to reach a final state, through its events stream when the server has one, else
 * by polling. A dropped stream falls back to polling, so the answer is always a real final status.
 */
export async function watchJob(client: JobApiClient, ref: JobRef, opts: WatchOptions): Promise<StatusResponse> {
  if (ref.eventsUrl && opts.useEvents !== false) {
    const final = await client.followEvents(ref, opts.onStatus, opts.signal);
    if (final) return final;
  }
  const schedule = opts.poll ?? DEFAULT_POLL;
  let interval = schedule.initialMs;
  for (;;) {
    const status = await client.getStatus(ref);
    opts.onStatus(status);
    if (isFinal(status.state)) return status;
    interval = nextPollInterval(interval, Number(status.percentage) || 0, schedule);
    await sleep(interval, opts.signal);
  }
}
