// Submitting a batch as a job: one start request per batch, or, when the server answers 413, the
// batch halved (again and again if need be) with the run told the most rows the server takes.
import path from 'node:path';
import { ApiError } from '../../client/api-error.js';
import type { DeleteByKey, JobApiClient } from '../../client/job-api-client.js';
import type { JobRef } from '../../client/job-ref.js';
import { splitToFit, type Batch } from './batch.js';
import type { Checkpoint } from '../state/checkpoint.js';

export interface SubmitOptions {
  client: JobApiClient;
  resource: string;
  upsert?: { uniqueFields: string[]; updateFields?: string[] };
  delete?: DeleteByKey;
  /** The batch's idempotency key: the same line range always gets the same key. */
  keyOf: (batch: Batch) => string;
  /** A 413 split the batch: parts of at most `rows` rows go from now on. */
  onTooLarge: (batch: Batch, rows: number) => void;
  /** A part was accepted as a job. */
  onStarted: (
    part: Batch,
    started: { ref: JobRef; replayed: boolean; key: string; keyHonoured: boolean },
  ) => Promise<void>;
  /** A part was handled at once: the server answered its results (status and body, unchecked), no job. */
  onResults: (part: Batch, answer: { status: number; body: unknown }) => void;
  /** Sees each start request while it is in flight (the run's job claims). */
  starting?: <T>(start: Promise<T>) => Promise<T>;
}

export async function submitBatch(opts: SubmitOptions, batch: Batch): Promise<void> {
  const key = opts.keyOf(batch);
  let started;
  try {
    const { file, firstLine, lastLine } = batch.origin;
    // The file's name only: a local path says more than the server needs to show.
    const start = opts.client.startJob({
      resource: opts.resource,
      body: batch.body,
      contentType: batch.type,
      idempotencyKey: key,
      upsert: opts.upsert,
      delete: opts.delete,
      source: { file: path.basename(file), firstLine, lastLine },
    });
    started = await (opts.starting ? opts.starting(start) : start);
  } catch (err) {
    if (err instanceof ApiError && err.kind === 'too-large' && batch.origin.rows > 1) {
      const halves = splitToFit(batch, Math.ceil(batch.origin.rows / 2));
      opts.onTooLarge(batch, halves[0]?.origin.rows ?? 1);
      for (const half of halves) await submitBatch(opts, half);
      return;
    }
    throw err;
  }
  if (started.kind === 'results') return opts.onResults(batch, { status: started.status, body: started.body });
  await opts.onStarted(batch, { ref: started.ref, replayed: started.replayed, key, keyHonoured: started.keyHonoured });
}

/**
 * A batch's idempotency key: the run, the file and the line range, so a resend after a lost answer
 * replays the first job. The same rows again after the server ended their job unprocessed
 * (Aborted, Failed) get a key of their own: under the first one the server would replay that job,
 * and the rows would never be sent. A job the server forgot (Lost) or answered wrongly keeps its
 * key: it may still exist, and only a replay of it cannot store its rows twice.
 */
export function batchKey(checkpoint: Pick<Checkpoint, 'run_id' | 'entries'>, fileIndex: number, batch: Batch): string {
  const { file, firstLine, lastLine } = batch.origin;
  const key = `${checkpoint.run_id}:${fileIndex}:${firstLine}-${lastLine}`;
  const ended = checkpoint.entries.find(
    (e) =>
      e.state === 'finished' &&
      e.file === file &&
      e.first_line === firstLine &&
      e.last_line === lastLine &&
      (e.outcome?.state === 'Aborted' || e.outcome?.state === 'Failed'),
  );
  return ended?.job_id ? `${key}:after-${ended.job_id}` : key;
}
