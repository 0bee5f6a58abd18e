/**
 * The two ways a database can fail that are not the request's fault, as typed errors both stores
 * throw: busy (a lock held too long; retry soon) and unavailable (connection lost, disk full or
 * failing; retry once it is back). Routes map them to 503 and the worker retries the chunk.
 */
import type { JobStore } from './store.js';

import type { StoreTrouble } from '../../protocol/index.js';

/** Why a store cannot write: what an operator fixes, and what health and the 503/507 say. */
export type { StoreTrouble };

/** The database is locked by someone else past the busy timeout. Nothing was written. */
export class StoreBusyError extends Error {
  readonly retryAfterSeconds = 1;
  readonly trouble: StoreTrouble = 'locked';
}

/**
 * The database cannot be reached or cannot write (connection lost, disk full, read-only, I/O
 * error). Nothing was written.
 */
export class StoreUnavailableError extends Error {
  readonly retryAfterSeconds = 5;
  constructor(
    message: string,
    options?: ErrorOptions,
    readonly trouble: StoreTrouble = 'unavailable',
  ) {
    super(message, options);
  }
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
  createAndRun: true,
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
  releaseJobs: true,
} as const satisfies Record<Exclude<keyof JobStore, 'kind' | 'nodeId' | 'runs'>, true>;

/** Told the outcome of every store call: null for success, else the (typed) error. */
export type StoreCallObserver = (method: keyof typeof STORE_METHODS, err: unknown) => void;
const OBSERVER = Symbol('store call observer');

/** Tells `observer` how every later call on this store instance ends (store health watches them). */
export function observeStoreCalls(store: JobStore, observer: StoreCallObserver): void {
  (store as unknown as Record<symbol, StoreCallObserver>)[OBSERVER] = observer;
}

/**
 * Wraps a store class's methods once, at definition, so whatever calls the store (routes, the
 * worker, tests) sees only typed errors for a busy or lost database: the one place that translation
 * happens, and nothing can reach the store around it. A capability the store lacks is skipped.
 * The same place tells an observer how each call ended, so store health sees every write.
 */
export function translateStoreErrors(proto: object, classify: ErrorClassifier): void {
  for (const name of Object.keys(STORE_METHODS) as (keyof typeof STORE_METHODS)[]) {
    const original = (proto as Record<string, unknown>)[name];
    if (typeof original !== 'function') continue;
    (proto as Record<string, unknown>)[name] = async function (
      this: Record<symbol, StoreCallObserver>,
      ...args: unknown[]
    ) {
      try {
        const result = await (original as (...a: unknown[]) => Promise<unknown>).apply(this, args);
        this[OBSERVER]?.(name, null);
        return result;
      } catch (err) {
        const typed = classify(err);
        this[OBSERVER]?.(name, typed);
        throw typed;
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
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || /disk is full|no space left/i.test(messageOf(err)))
    return new StoreUnavailableError(
      `database cannot write, the disk is full: ${messageOf(err)}`,
      { cause: err },
      'disk-full',
    );
  if (/^SQLITE_READONLY/.test(code) || code === 'EROFS')
    return new StoreUnavailableError(
      `database cannot write, it is read-only: ${messageOf(err)}`,
      { cause: err },
      'read-only',
    );
  if (/^SQLITE_(FULL|IOERR|CANTOPEN|PROTOCOL)/.test(code))
    return new StoreUnavailableError(`database cannot write: ${messageOf(err)}`, { cause: err });
  return err;
};

/**
 * SQLSTATEs: 08 connection exception, 57P0x shutdown, 53 out of resources (53100 disk full);
 * 25006 a read-only transaction (a standby after a failover); 40001/40P01/55P03 lock contention.
 */
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
  if (code === '53100')
    return new StoreUnavailableError(`database disk full: ${messageOf(err)}`, { cause: err }, 'disk-full');
  if (code === '25006')
    return new StoreUnavailableError(`database is read-only: ${messageOf(err)}`, { cause: err }, 'read-only');
  if (PG_UNAVAILABLE.test(code) || NET_CODES.has(code) || PG_CONNECTION_MESSAGE.test(messageOf(err))) {
    return new StoreUnavailableError(`database unavailable: ${messageOf(err)}`, { cause: err });
  }
  return err;
};
