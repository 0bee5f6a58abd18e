// Follows one job to its final status: by server events where offered, else by polling on a
// schedule that backs off; a job whose progress does not move for the stall bound is given up on,
// and one whose server says it cannot write is bounded by --deadline.
import { isFinal, type StatusResponse } from '../../protocol/index.js';
import type { JobApiClient } from '../../client/job-api-client.js';
import { sleep } from '../../client/sleep.js';
import type { JobRef } from '../../client/job-ref.js';
import { DEFAULT_POLL, nextPollInterval, type PollSchedule } from './poll-schedule.js';
import { StoreStall } from './store-stall.js';

/** 10 minutes: generous for a busy server, finite for one that forgot a job. */
export const DEFAULT_STALL_MS = 10 * 60_000;

export interface WatchOptions {
  onStatus: (status: StatusResponse) => void;
  signal?: AbortSignal;
  poll?: PollSchedule;
  /** Use server events when the server offers them. @default true */
  useEvents?: boolean;
  /** Gives up on a job whose progress has not moved for this long. @default DEFAULT_STALL_MS */
  stallMs?: number;
  /** Told once the job has not moved for a while (a quarter of the bound), so the wait is explained. */
  onStalling?: (stalledMs: number, stallMs: number) => void;
}

/** The job's progress did not move for the stall bound: its fate is not known. */
export class JobStalled extends Error {
  constructor(readonly stalledMs: number) {
    super(`its progress has not moved for ${Math.round(stalledMs / 1000)} s (--stall-timeout)`);
  }
}

/** What counts as progress: the state and the counts, not the server's clock. */
const progressOf = (s: StatusResponse) =>
  JSON.stringify([s.state, s.processed_items, s.success_count, s.error_count, s.percentage]);

/**
 * Waits for a job to reach a final state, through its events stream when the server has one, else
 * by polling. A dropped stream falls back to polling, so the answer is always a real final status.
 * A stream that says the server cannot write is left for polling too: a stuck job sends no more
 * events, and only polling can tell when the wait has outlasted --deadline.
 */
export async function watchJob(client: JobApiClient, ref: JobRef, opts: WatchOptions): Promise<StatusResponse> {
  // 0 means no stall bound.
  const stallMs = opts.stallMs === 0 ? Number.POSITIVE_INFINITY : (opts.stallMs ?? DEFAULT_STALL_MS);
  const store = new StoreStall(ref.jobId, client.deadlineMs);
  let progress = '';
  let moved = Date.now();
  let told = false;
  const stalled = new AbortController();
  const onStatus = (s: StatusResponse) => {
    const now = progressOf(s);
    if (now !== progress) [progress, moved, told] = [now, Date.now(), false];
    opts.onStatus(s);
  };
  const check = () => {
    const still = Date.now() - moved;
    if (!told && still >= stallMs / 4) {
      told = true;
      opts.onStalling?.(still, stallMs);
    }
    if (still >= stallMs && !stalled.signal.aborted) stalled.abort(new JobStalled(still));
  };
  const watchdog = setInterval(check, Math.min(1000, Math.max(50, stallMs / 20)));
  const signal = opts.signal ? AbortSignal.any([opts.signal, stalled.signal]) : stalled.signal;
  try {
    if (ref.eventsUrl && opts.useEvents !== false) {
      const leave = new AbortController();
      try {
        const final = await client.followEvents(
          ref,
          (s) => {
            onStatus(s);
            store.see(s);
            if (store.troubled) leave.abort();
          },
          AbortSignal.any([signal, leave.signal]),
        );
        if (final) return final;
      } catch (err) {
        if (!leave.signal.aborted || signal.aborted) throw err;
      }
    }
    const schedule = opts.poll ?? DEFAULT_POLL;
    let interval = schedule.initialMs;
    for (;;) {
      if (stalled.signal.aborted) throw stalled.signal.reason;
      const status = await client.getStatus(ref);
      onStatus(status);
      if (isFinal(status.state)) return status;
      store.see(status);
      interval = nextPollInterval(interval, Number(status.percentage) || 0, schedule);
      await sleep(interval, signal);
    }
  } catch (err) {
    if (stalled.signal.aborted && !opts.signal?.aborted) throw stalled.signal.reason;
    throw err;
  } finally {
    clearInterval(watchdog);
  }
}
