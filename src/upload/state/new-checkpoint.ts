// A fresh run's checkpoint, and the reason (if any) a saved one cannot be resumed.
import type { Checkpoint, CheckpointSettings } from './checkpoint.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fingerprintInput, fingerprintMismatch, runDir } from './checkpoint-store.js';
import { STDIN_SPOOL_FILE } from '../send/stdin-spool.js';

/** The checkpoint of a fresh run: settings to replay on resume, and fingerprints of its inputs. */
export async function newCheckpoint(runId: string, settings: CheckpointSettings, cwd: string): Promise<Checkpoint> {
  const now = new Date().toISOString();
  return {
    version: 1,
    run_id: runId,
    created_at: now,
    updated_at: now,
    cwd,
    settings,
    inputs: await Promise.all(settings.files.map((f) => fingerprintInput(f).catch(() => null))),
    entries: [],
    failed_rows: {},
    finished: false,
  };
}

/** Why this checkpoint cannot be resumed now, or null. */
export async function resumeRefusal(cp: Checkpoint): Promise<string | null> {
  if (cp.settings.files.includes('-') && !existsSync(path.join(runDir(cp.run_id), STDIN_SPOOL_FILE)))
    return 'it read stdin and kept no copy of the rows: send the rest as a new upload';
  for (let i = 0; i < cp.settings.files.length; i++) {
    const before = cp.inputs[i];
    if (!before) continue;
    const now = await fingerprintInput(before.path).catch(() => null);
    const why = fingerprintMismatch(before, now);
    if (why) return `${why}; resuming would send different rows under the old keys. Start a new upload instead.`;
  }
  return null;
}
