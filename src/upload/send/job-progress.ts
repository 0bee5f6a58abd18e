// What a followed job's answers show while it runs: its live counts on the bar, a notice when its
// server node stopped, and one when its progress has not moved for a while (the stall bound).
import type { StatusResponse } from '../../protocol/index.js';
import type { RunLedger } from '../state/run-ledger.js';
import type { JobProgress } from '../upload-events.js';
import type { Batch } from './batch.js';

/** A job's status as the bars show it. */
export function progressOf(batch: number, jobId: string, s: StatusResponse): JobProgress {
  return {
    batch,
    jobId,
    state: s.state,
    total: s.total_items,
    processed: s.processed_items,
    succeeded: s.success_count,
    failed: s.error_count,
  };
}

/** The status listener of one followed job, and what it says when the job stalls. */
export function jobProgress(ledger: RunLedger, batch: Batch, jobId: string) {
  const { origin } = batch;
  const where = `job ${jobId.slice(0, 8)} (${origin.file}:${origin.firstLine}-${origin.lastLine})`;
  let awaitingTakeover = false;
  const onStatus = (s: StatusResponse) => {
    ledger.tally.setLive(jobId, s, origin.rows);
    // A stalled bar alone would not tell the user why: say once that the job's node is gone.
    if (s.awaiting_takeover === true && !awaitingTakeover)
      ledger.emit({
        type: 'warning',
        text: `${where}: its server node stopped; waiting for another node to take it over`,
      });
    awaitingTakeover = s.awaiting_takeover === true;
    ledger.emit({ type: 'job-progress', progress: progressOf(origin.batch, jobId, s) });
    ledger.emitCounts();
  };
  const onStalling = (ms: number, limit: number) =>
    ledger.emit({
      type: 'warning',
      text:
        `${where} has not moved for ${Math.round(ms / 1000)} s; bulk waits up to ${Math.round(limit / 1000)} s ` +
        `(--stall-timeout), then stops with its rows unconfirmed`,
    });
  return { onStatus, onStalling };
}
