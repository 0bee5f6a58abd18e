// A fresh run's checkpoint; the run to resume, loaded and checked; and the reason (if any) a saved
// one cannot be resumed.
import { nothingLeft } from './finished-run.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { BulkError } from '../../errors/bulk-error.js';
import type { RunPlan } from '../plan/run-plan.js';
import {
  fingerprintInput,
  fingerprintMismatch,
  latestRunId,
  loadCheckpoint,
  runDir,
  runsDir,
} from './checkpoint-store.js';
import { CHECKPOINT_VERSION, type Checkpoint } from './checkpoint.js';
import { STDIN_SPOOL_FILE } from '../send/stdin-spool.js';

/** The checkpoint of a fresh run: its plan to replay on resume, and fingerprints of its inputs. */
export async function newCheckpoint(runId: string, plan: RunPlan, cwd: string): Promise<Checkpoint> {
  const now = new Date().toISOString();
  return {
    version: CHECKPOINT_VERSION,
    run_id: runId,
    created_at: now,
    updated_at: now,
    cwd,
    plan,
    inputs: await Promise.all(plan.files.map((f) => fingerprintInput(f).catch(() => null))),
    entries: [],
    failed_rows: {},
    finished: false,
  };
}

/**
 * Loads the run to resume (its id, or true for the newest), refusing clearly when it cannot be
 * resumed, and moves to the directory it started in (its relative paths are relative to it).
 */
export async function loadResume(runIdArg: string | true): Promise<Checkpoint> {
  const runId = runIdArg === true ? latestRunId() : runIdArg;
  if (!runId)
    throw new BulkError('usage', 'there is no run to resume', `runs are kept in ${runsDir()} ($BULK_STATE_DIR)`);
  const cp = loadCheckpoint(runId);
  if (!cp)
    throw new BulkError(
      'usage',
      `no run ${runId} (looked in ${runDir(runId)})`,
      `bulk resume with no id takes the newest run in ${runsDir()}`,
    );
  // A run with nothing left is not resumed (finished-run.ts), so a changed input does not matter to it.
  const refusal = nothingLeft(cp) ? null : await resumeRefusal(cp);
  if (refusal) throw new BulkError('resume-refused', `cannot resume run ${runId}: ${refusal}`);
  if (cp.cwd && cp.cwd !== process.cwd() && existsSync(cp.cwd)) process.chdir(cp.cwd);
  return cp;
}

/** Why this checkpoint cannot be resumed now, or null. */
export async function resumeRefusal(cp: Checkpoint): Promise<string | null> {
  if (cp.plan.files.includes('-') && !existsSync(path.join(runDir(cp.run_id), STDIN_SPOOL_FILE)))
    return 'it read stdin and kept no copy of the rows: send the rest as a new upload';
  for (let i = 0; i < cp.plan.files.length; i++) {
    const before = cp.inputs[i];
    if (!before) continue;
    const now = await fingerprintInput(before.path).catch(() => null);
    const why = fingerprintMismatch(before, now);
    if (why) return `${why}; resuming would send different rows under the old keys. Start a new upload instead.`;
  }
  return null;
}
