/** Where runs keep their checkpoints, and reading, validating and atomically saving them. */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BulkError, describeFsError } from '../../errors/bulk-error.js';
import { CHECKPOINT_VERSION, type Checkpoint, type InputFingerprint } from './checkpoint.js';

/** Run directories live here: `$BULK_STATE_DIR`, else `$XDG_STATE_HOME/bulk/runs`, else `~/.local/state/bulk/runs`. */
export function runsDir(env: Record<string, string | undefined> = process.env): string {
  if (env.BULK_STATE_DIR) return env.BULK_STATE_DIR;
  const stateHome = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(stateHome, 'bulk', 'runs');
}

export function runDir(runId: string, env?: Record<string, string | undefined>): string {
  return path.join(runsDir(env), runId);
}

export function checkpointPath(runId: string, env?: Record<string, string | undefined>): string {
  return path.join(runDir(runId, env), 'checkpoint.json');
}

/**
 * Saves a serialised checkpoint so that a kill -9 at any instant leaves either the old file or the
 * new one, never a torn one: write a temp file, fsync it, rename over, fsync the directory. The
 * text must be taken at the same instant as the state it describes (the failed-rows files' flushed
 * sizes): serialised after an await, a job's outcome could slip in ahead of its failed rows, and a
 * resume would then cut those rows off.
 */
export async function saveCheckpointText(
  runId: string,
  text: string,
  env?: Record<string, string | undefined>,
): Promise<void> {
  const dir = runDir(runId, env);
  const target = path.join(dir, 'checkpoint.json');
  const temp = `${target}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (err) {
    // The last good checkpoint is untouched; a torn temp file must not hold on to the space.
    await unlink(temp).catch(() => undefined);
    throw new BulkError('output', `cannot save the checkpoint ${target}: ${describeFsError(err)}`);
  }
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

/**
 * The run's checkpoint, or null when the run has none. A file that does not parse or does not
 * describe a run (truncated, hand-edited) is refused with its path: resuming from a guess could
 * send rows twice or never.
 */
export function loadCheckpoint(runId: string, env?: Record<string, string | undefined>): Checkpoint | null {
  const file = checkpointPath(runId, env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new BulkError('checkpoint', `cannot read the checkpoint ${file}: ${describeFsError(err)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new BulkError(
      'checkpoint',
      `the checkpoint ${file} does not parse (${(err as Error).message}), so run ${runId} cannot be resumed`,
    );
  }
  const why = checkpointShapeProblem(parsed, runId);
  if (why)
    throw new BulkError(
      'checkpoint',
      `the checkpoint ${file} is not a checkpoint of run ${runId} (${why}), so it cannot be resumed`,
    );
  return parsed as Checkpoint;
}

/** The first thing a resume relies on that this value lacks, or null. */
export function checkpointShapeProblem(value: unknown, runId: string): string | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const cp = value as Record<string, unknown>;
  if (cp.version === 1)
    return 'it was written by an older bulk, before the run plan: finish it with that version, or start a new upload';
  if (cp.version !== CHECKPOINT_VERSION) return `version ${JSON.stringify(cp.version)}, expected ${CHECKPOINT_VERSION}`;
  if (cp.run_id !== runId) return `run_id ${JSON.stringify(cp.run_id)}`;
  const plan = cp.plan as Record<string, unknown> | undefined;
  if (!plan || typeof plan !== 'object' || !Array.isArray(plan.files)) return 'plan.files is missing';
  if (typeof plan.batchSize !== 'number' || !(plan.batchSize >= 1)) return 'plan.batchSize is missing';
  if (!Array.isArray(cp.entries)) return 'entries is missing';
  if (!Array.isArray(cp.inputs)) return 'inputs is missing';
  if (!cp.failed_rows || typeof cp.failed_rows !== 'object') return 'failed_rows is missing';
  for (const [i, e] of (cp.entries as unknown[]).entries()) {
    const entry = e as Record<string, unknown> | null;
    if (
      !entry ||
      typeof entry.file !== 'string' ||
      typeof entry.first_line !== 'number' ||
      typeof entry.last_line !== 'number' ||
      typeof entry.rows !== 'number'
    )
      return `entry ${i + 1} is incomplete`;
    if (entry.state !== 'submitted' && entry.state !== 'finished')
      return `entry ${i + 1} has state ${JSON.stringify(entry.state)}`;
    if (entry.state === 'finished' && (!entry.outcome || typeof entry.outcome !== 'object'))
      return `entry ${i + 1} is finished without an outcome`;
  }
  return null;
}

/** The newest run that has a checkpoint: what `bulk resume` with no id picks. */
export function latestRunId(env?: Record<string, string | undefined>): string | null {
  const dir = runsDir(env);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return null;
  }
  const withTimes = names
    .map((name) => {
      try {
        return { name, mtime: statSync(path.join(dir, name, 'checkpoint.json')).mtimeMs };
      } catch {
        return null;
      }
    })
    .filter((x): x is { name: string; mtime: number } => x !== null);
  withTimes.sort((a, b) => b.mtime - a.mtime || b.name.localeCompare(a.name));
  return withTimes[0]?.name ?? null;
}

const SAMPLE = 64 * 1024;

/**
 * Enough to notice that a file changed between a run and its resume without reading 10 GB again:
 * size, mtime, and hashes of its first and last 64 KiB.
 */
export async function fingerprintInput(file: string): Promise<InputFingerprint | null> {
  if (file === '-') return null;
  const abs = path.resolve(file);
  const info = await stat(abs);
  const handle = await open(abs, 'r');
  try {
    const hash = createHash('sha256');
    const head = Buffer.alloc(Math.min(SAMPLE, info.size));
    await handle.read(head, 0, head.length, 0);
    hash.update(head);
    if (info.size > SAMPLE) {
      const tail = Buffer.alloc(Math.min(SAMPLE, info.size - SAMPLE));
      await handle.read(tail, 0, tail.length, info.size - tail.length);
      hash.update(tail);
    }
    return { path: abs, size: info.size, mtime_ms: Math.floor(info.mtimeMs), sample_sha256: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}

/** Why a resume must refuse, or null when the file is the one the run read. */
export function fingerprintMismatch(before: InputFingerprint, now: InputFingerprint | null): string | null {
  if (!now) return `${before.path} can no longer be read`;
  if (now.size !== before.size) return `${before.path} changed size (${before.size} → ${now.size} bytes)`;
  if (now.sample_sha256 !== before.sample_sha256) return `${before.path} changed content`;
  if (now.mtime_ms !== before.mtime_ms) return `${before.path} was modified since the run`;
  return null;
}
