// Follows one job to its final status: by server events where offered, else by polling on a
// schedule that backs off; bounded by --deadline while the server says it cannot write.
import { isFinal, type StatusResponse } from '../../protocol/index.js';
import type { JobApiClient } from '../../client/job-api-client.js';
import { sleep } from '../../client/sleep.js';
import type { JobRef } from '../../client/job-ref.js';
import { DEFAULT_POLL, nextPollInterval, type PollSchedule } from './poll-schedule.js';
import { StoreStall } from './store-stall.js';

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
 * A stream that says the server cannot write is left for polling too: a stuck job sends no more
 * events, and only polling can tell when the wait has outlasted --deadline.
 */
export async function watchJob(client: JobApiClient, ref: JobRef, opts: WatchOptions): Promise<StatusResponse> {
  const stall = new StoreStall(ref.jobId, client.deadlineMs);
  if (ref.eventsUrl && opts.useEvents !== false) {
    const leave = new AbortController();
    const signal = opts.signal ? AbortSignal.any([opts.signal, leave.signal]) : leave.signal;
    try {
      const final = await client.followEvents(
        ref,
        (s) => {
          opts.onStatus(s);
          stall.see(s);
          if (stall.troubled) leave.abort();
        },
        signal,
      );
      if (final) return final;
    } catch (err) {
      if (!leave.signal.aborted || opts.signal?.aborted) throw err;
    }
  }
  const schedule = opts.poll ?? DEFAULT_POLL;
  let interval = schedule.initialMs;
  for (;;) {
    const status = await client.getStatus(ref);
    opts.onStatus(status);
    if (isFinal(status.state)) return status;
    stall.see(status);
    interval = nextPollInterval(interval, Number(status.percentage) || 0, schedule);
    await sleep(interval, opts.signal);
  }
}
