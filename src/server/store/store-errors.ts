/**
 * The two ways a database can fail that are not the request's fault, as typed errors both stores
 * throw: busy (a lock held too long; retry soon) and unavailable (connection lost, disk full or
 * failing; retry once it is back). Routes map them to 503 and the worker retries the chunk.
 */
import type { JobStore } from './store.js';

/** The database is locked by someone else past the busy timeout. Nothing was written. */
export class StoreBusyError extends Error {
  readonly retryAfterSeconds = 1;
}

/** The database cannot be reached or cannot write (connection lost, disk full, I/O error). Nothing was written. */
export class StoreUnavailableError extends Error {
  readonly retryAfterSeconds = 5;
}

export type StoreTransientError = StoreBusyError | StoreUnavailableError;

export function isStoreTransient(err: unknown): err is StoreTransientError {
  return err instanceof StoreBusyError || err instanceof StoreUnavailableError;
}

/** Turns a driver's error into a typed one when it is busy or unavailable; anything else unchanged. */
export type ErrorClassifier = (err: unknown) => unknown;

/**
 * Every method of the JobStore interface, optional ones too, listed so a new method cannot be left unguarded (the type
 * checks the list is whole).
 */
const STORE_METHODS = {
  init: true,
  createJob: true,
  findIdempotency: true,
  getJob: true,
  listJobs: true,
  claimNext: true,
  claimableOwners: true,
  loadPayload: true,
  commitChunk: true,
  finishJob: true,
  requestAbort: true,
  isAbortRequested: true,
  recordErrors: true,
  existingKeys: true,
  queueDepth: true,
  jobCounts: true,
  getSetting: true,
  setSetting: true,
  expireJobs: true,
  close: true,
  jobVersions: true,
  renewLease: true,
} as const satisfies Record<Exclude<keyof JobStore, 'kind' | 'nodeId'>, true>;

/**
 * Wraps a store class's methods once, at definition, so whatever calls the store (routes, the
 * worker, tests) sees only typed errors for a busy or lost database: the one place that translation
 * happens, and nothing can reach the store around it. A capability the store lacks is skipped.
 */
export function translateStoreErrors(proto: object, classify: ErrorClassifier): void {
  for (const name of Object.keys(STORE_METHODS)) {
    const original = (proto as Record<string, unknown>)[name];
    if (typeof original !== 'function') continue;
    (proto as Record<string, unknown>)[name] = async function (this: unknown, ...args: unknown[]) {
      try {
        return await (original as (...a: unknown[]) => Promise<unknown>).apply(this, args);
      } catch (err) {
        throw classify(err);
      }
    };
  }
}

const codeOf = (err: unknown): string => String((err as { code?: unknown } | null)?.code ?? '');
const messageOf = (err: unknown): string => String((err as { message?: unknown } | null)?.message ?? err);

/** better-sqlite3: SQLITE_BUSY / SQLITE_LOCKED past busy_timeout; a full or failing disk. */
export const classifySqliteError: ErrorClassifier = (err) => {
  if (isStoreTransient(err)) return err;
  const code = codeOf(err);
  if (/^SQLITE_(BUSY|LOCKED)/.test(code))
    return new StoreBusyError(`database is locked: ${messageOf(err)}`, { cause: err });
  if (/^SQLITE_(FULL|IOERR|CANTOPEN|PROTOCOL)/.test(code) || code === 'ENOSPC')
    return new StoreUnavailableError(`database cannot write: ${messageOf(err)}`, { cause: err });
  return err;
};

/** SQLSTATEs: 08 connection exception, 57P0x shutdown, 53 out of resources; 40001/40P01/55P03 lock contention. */
const PG_UNAVAILABLE = /^(08|57P0|53)/;
const PG_BUSY = /^(40001|40P01|55P03)$/;
const NET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/** pg raises these as plain Errors without a code when a connection ends under it. */
const PG_CONNECTION_MESSAGE = new RegExp(
  [
    'Connection terminated',
    'connection error',
    'not queryable',
    'timeout exceeded when trying to connect',
    'terminating connection',
  ].join('|'),
  'i',
);

export const classifyPgError: ErrorClassifier = (err) => {
  if (isStoreTransient(err)) return err;
  const code = codeOf(err);
  if (PG_BUSY.test(code)) return new StoreBusyError(`database busy: ${messageOf(err)}`, { cause: err });
  if (PG_UNAVAILABLE.test(code) || NET_CODES.has(code) || PG_CONNECTION_MESSAGE.test(messageOf(err))) {
    return new StoreUnavailableError(`database unavailable: ${messageOf(err)}`, { cause: err });
  }
  return err;
};
