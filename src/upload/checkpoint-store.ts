import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { open, rename, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Checkpoint, InputFingerprint } from './checkpoint.js';

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
export async function saveCheckpointText(runId: string, text: string, env?: Record<string, string | undefined>): Promise<void> {
  const dir = runDir(runId, env);
  mkdirSync(dir, { recursive: true });
  const target = path.join(dir, 'checkpoint.json');
  const temp = `${target}.${process.pid}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, target);
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

export function loadCheckpoint(runId: string, env?: Record<string, string | undefined>): Checkpoint | null {
  try {
    return JSON.parse(readFileSync(checkpointPath(runId, env), 'utf8')) as Checkpoint;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
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
