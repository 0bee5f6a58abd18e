// What sending a run is given: its plan (every setting, read as it is) and the handles this process
// sends it with (client, checkpoint, signals, stdin's spool).
import type { JobApiClient } from '../../client/job-api-client.js';
import type { RunPlan } from '../plan/run-plan.js';
import type { SurveyedInput } from '../plan/survey-inputs.js';
import type { Checkpoint } from '../state/checkpoint.js';
import type { CheckpointWriter } from '../state/checkpoint-writer.js';
import type { UploadListener } from '../upload-events.js';

/** A run being sent: its plan (every setting), and what this process sends it with. */
export interface SendRun {
  plan: RunPlan;
  /** Per input, what the survey read of it (its header), for checking it against its resource. */
  surveyed: readonly (SurveyedInput | null)[];
  client: JobApiClient;
  /** The run's checkpoint: a fresh one, or the checkpoint of the run being resumed. */
  checkpoint: Checkpoint;
  /** Saves the checkpoint; absent for runs that cannot be resumed (a dry run). */
  checkpointWriter?: CheckpointWriter;
  emit: UploadListener;
  /** Aborted on Ctrl-C/SIGTERM: stop reading, let requests in flight finish. */
  stopSignal?: AbortSignal;
  /** After a stop signal, how long to keep following jobs already submitted. @default 10000 */
  stopGraceMs?: number;
  /** When given, the jobs out at once follow it (at most the plan's concurrency): it adapts to the link. */
  concurrencyLimit?: { readonly current: number };
  /** Where stdin's rows are kept for a resume, and whether this run writes the spool or reads it. */
  stdinSpool?: { path: string; resume: boolean };
  /** A file in the run's directory naming each failed-rows file as it is chosen (resumable runs). */
  failedRowsClaims?: string;
}
