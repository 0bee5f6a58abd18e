/**
 * Retention, a property of the database: how long finished jobs (their errors, payloads and keys)
 * are kept. Stored in bulk_settings, so any node may set it and every node on the database prunes
 * by the same value, rather than the node started with the shortest flag pruning everyone's jobs.
 */
import { isoAt, nowIso } from './clock.js';
import type { ServerLogger } from './observe/server-log.js';
import type { JobStore } from './store/store.js';

export const DEFAULT_RETENTION_MS = 7 * 86_400_000;
const SETTING = 'retention_ms';

/** `7d`, `12h`, `30m`, `45s`, or a bare number of seconds, into milliseconds. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(d|h|m|s|ms)?$/i.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  const factor =
    unit === 'd' ? 86_400_000 : unit === 'h' ? 3_600_000 : unit === 'm' ? 60_000 : unit === 'ms' ? 1 : 1000;
  return Math.round(n * factor);
}

/** Milliseconds as the shortest exact duration flag: 604800000 → "7d". */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const)
    if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** The database's retention; the default when no node has set one. */
export async function retentionOf(store: JobStore): Promise<number> {
  const value = Number(await store.getSetting(SETTING));
  return Number.isFinite(value) && value > 0 ? value : DEFAULT_RETENTION_MS;
}

export async function setRetention(store: JobStore, ms: number, log: ServerLogger): Promise<void> {
  const before = await retentionOf(store);
  await store.setSetting(SETTING, String(ms), nowIso());
  if (before !== ms)
    log.info({ retention: formatDuration(ms), was: formatDuration(before) }, 'retention set for the database');
}

/** Prunes now, then again every tenth of the retention (1 s to 1 h), reading the current value each time. */
export function startPruning(store: JobStore, log: ServerLogger): { first: Promise<void>; stop: () => void } {
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const prune = async (): Promise<void> => {
    let retention = DEFAULT_RETENTION_MS;
    try {
      retention = await retentionOf(store);
      const removed = await store.expireJobs(isoAt(Date.now() - retention));
      if (removed > 0) log.info({ removed, retention: formatDuration(retention) }, 'retention prune');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'retention prune failed; trying again later');
    }
    if (stopped) return;
    timer = setTimeout(() => void prune(), Math.max(1000, Math.min(retention / 10, 3_600_000)));
    timer.unref();
  };
  return {
    first: prune(),
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
