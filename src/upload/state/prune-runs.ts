/**
 * `bulk runs prune --older-than 30d`: removes the local run folders (checkpoint, lock, stdin
 * spool, log) not touched for that long. A run another live process holds is never removed.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { BulkError } from '../../errors/bulk-error.js';
import { loadCheckpoint, runsDir } from './checkpoint-store.js';
import { lockRun } from './run-lock.js';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30d`, `12h`, `90m`, `2w`: milliseconds; anything else is a usage error. */
export function parseAge(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(text.trim());
  if (!m) throw new BulkError('usage', `--older-than ${text}: expected a number and a unit (s, m, h, d, w), e.g. 30d`);
  return Number(m[1]) * (UNITS[m[2] as string] as number);
}

export interface PrunedRun {
  runId: string;
  /** When its folder last changed (its checkpoint, else the folder). */
  lastChange: Date;
  /** It had not finished: a resume could still have sent its rest. */
  unfinished: boolean;
}

function lastChange(dir: string): Date {
  try {
    return statSync(path.join(dir, 'checkpoint.json')).mtime;
  } catch {
    return statSync(dir).mtime;
  }
}

function finished(runId: string, env: Record<string, string | undefined>): boolean {
  try {
    return loadCheckpoint(runId, env)?.finished === true;
  } catch {
    return false;
  }
}

/** The run folders older than `olderThanMs`, removed unless `dryRun`; runs held by a live process are kept. */
export function pruneRuns(
  olderThanMs: number,
  opts: { dryRun?: boolean; now?: Date; env?: Record<string, string | undefined> } = {},
): { pruned: PrunedRun[]; kept: number } {
  const env = opts.env ?? process.env;
  const root = runsDir(env);
  const cutoff = (opts.now ?? new Date()).getTime() - olderThanMs;
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return { pruned: [], kept: 0 };
  }
  const pruned: PrunedRun[] = [];
  let kept = 0;
  for (const runId of names.sort()) {
    const dir = path.join(root, runId);
    let changed: Date;
    try {
      if (!statSync(dir).isDirectory()) continue;
      changed = lastChange(dir);
    } catch {
      continue;
    }
    if (changed.getTime() > cutoff) {
      kept++;
      continue;
    }
    const run = { runId, lastChange: changed, unfinished: !finished(runId, env) };
    if (opts.dryRun) {
      pruned.push(run);
      continue;
    }
    let lock;
    try {
      lock = lockRun(dir, runId);
    } catch {
      kept++; // In use by a live process (or not ours to lock): left alone.
      continue;
    }
    lock.release();
    rmSync(dir, { recursive: true, force: true });
    pruned.push(run);
  }
  return { pruned, kept };
}
