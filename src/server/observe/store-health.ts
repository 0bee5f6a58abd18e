/**
 * Whether the store can write, learnt from the outcome of every store call (the store tells it
 * through observeStoreCalls): the first failure opens an outage, logged once at warn with its
 * cause; the first write that succeeds again closes it, logged once at info with how many calls
 * failed in between. A store that flaps (a nearly full disk takes a small write, then refuses the
 * next chunk) relapses within RELAPSE_MS of recovering: at most one warn a window says how often,
 * the rest go to debug, so an operator reads one story, not a line per flap. Health answers 503
 * from it, so a balancer stops sending work to a node whose disk is full or whose database is
 * read-only, and takes it back once a write goes through.
 */
import { STORE_TROUBLE_TEXT } from '../../protocol/index.js';
import { isStoreTransient, type StoreCallObserver, type StoreTrouble } from '../store/store-errors.js';
import type { ServerLogger } from './server-log.js';
import type { ServerMetrics } from './server-metrics.js';

/** What each kind of trouble is, in words an operator and a client's user both read. */
export const TROUBLE_TEXT = STORE_TROUBLE_TEXT;

/** Store calls that write: only one of these succeeding shows the store writes again. */
const WRITES = new Set<string>([
  'init',
  'createJob',
  'claimNext',
  'commitChunk',
  'finishJob',
  'requestAbort',
  'setSetting',
  'expireJobs',
  'renewLease',
]);

/** After a failure, how long before health may try a write of its own to see whether it cleared. */
export const PROBE_AFTER_MS = 2000;

/** An outage that begins this soon after the last one ended is a relapse of it. */
export const RELAPSE_MS = 60_000;

export interface StoreOutage {
  trouble: StoreTrouble;
  /** When it began (ms since the epoch). */
  since: number;
  /** Store calls that failed since. */
  failures: number;
  lastFailureAt: number;
}

interface OpenOutage extends StoreOutage {
  /** Kinds of write that failed and have not succeeded since: a full disk still takes a tiny write. */
  failing: Set<string>;
  /** Begun within RELAPSE_MS of the last recovery: its end is logged at debug. */
  relapse: boolean;
}

export class StoreHealth {
  private outage: OpenOutage | null = null;
  private lastProbeAt = 0;
  private probing = false;
  private lastRecoveredAt = -Infinity;
  private lastRelapseWarnAt = -Infinity;
  /** Outages that began within RELAPSE_MS of the one before, counting the first of the series. */
  private series = 0;
  /** Told when an outage begins or ends (the event streams resend their jobs' status, which names it). */
  onChange: () => void = () => undefined;

  constructor(
    private readonly log: ServerLogger,
    private readonly metrics: ServerMetrics,
    private readonly now: () => number = Date.now,
  ) {
    metrics.storeWritable.set(1);
  }

  /** Hand to observeStoreCalls. */
  readonly observe: StoreCallObserver = (method, err) => {
    if (err === null) {
      const outage = this.outage;
      if (!outage) return;
      // A read proves a lost connection is back. Only writes prove a full disk, a read-only or a
      // locked database are: each kind of write that failed must have gone through since (a small
      // claim succeeds on a disk too full for a chunk), or health's own probe, made when no job waits.
      if (outage.trouble === 'unavailable' || (this.probing && method === 'setSetting')) this.recovered(method);
      else if (WRITES.has(method)) {
        outage.failing.delete(method);
        if (outage.failing.size === 0) this.recovered(method);
      }
      return;
    }
    if (!isStoreTransient(err)) return;
    this.metrics.storeError(err);
    const at = this.now();
    if (!this.outage) {
      const relapse = at - this.lastRecoveredAt < RELAPSE_MS;
      this.series = relapse ? this.series + 1 : 1;
      this.outage = {
        trouble: err.trouble,
        since: at,
        failures: 1,
        lastFailureAt: at,
        failing: new Set([method]),
        relapse,
      };
      this.metrics.storeWritable.set(0);
      this.onChange();
      const fields = { trouble: err.trouble, method, err: err.message };
      if (!relapse)
        this.log.warn(
          fields,
          `store trouble: ${TROUBLE_TEXT[err.trouble]}; requests that write get 503/507 and jobs wait until it clears`,
        );
      else if (at - this.lastRelapseWarnAt >= RELAPSE_MS) {
        this.lastRelapseWarnAt = at;
        this.log.warn(
          { ...fields, outages: this.series },
          `store trouble again: ${TROUBLE_TEXT[err.trouble]} (${this.series} outages in a row, each within ` +
            `${RELAPSE_MS / 1000} s of the last; later ones this minute are logged at debug)`,
        );
      } else this.log.debug({ ...fields, outages: this.series }, 'store trouble again');
      return;
    }
    this.outage.failures++;
    this.outage.lastFailureAt = at;
    this.outage.failing.add(method);
    if (err.trouble !== this.outage.trouble) {
      this.log.warn(
        { trouble: err.trouble, was: this.outage.trouble, failures: this.outage.failures, err: err.message },
        `store trouble changed: ${TROUBLE_TEXT[err.trouble]}`,
      );
      this.outage.trouble = err.trouble;
    }
  };

  private recovered(method: string): void {
    const outage = this.outage as OpenOutage;
    this.outage = null;
    this.lastRecoveredAt = this.now();
    this.metrics.storeWritable.set(1);
    this.onChange();
    this.log[outage.relapse ? 'debug' : 'info'](
      {
        trouble: outage.trouble,
        failures: outage.failures,
        seconds: Math.round((this.now() - outage.since) / 100) / 10,
        method,
      },
      'store writes again',
    );
  }

  /** The outage in course, or null while the store writes. */
  current(): StoreOutage | null {
    if (!this.outage) return null;
    const { trouble, since, failures, lastFailureAt } = this.outage;
    return { trouble, since, failures, lastFailureAt };
  }

  /**
   * Tries `write` (a small write of health's own) during an outage, once nothing has failed for a
   * moment and at most once per that moment (a balancer polls health often); its success ends the
   * outage. The caller makes it only when no job waits on the store: a job's retry is a truer test.
   */
  async probe(write: () => Promise<unknown>): Promise<void> {
    const at = this.now();
    if (!this.outage || at - this.outage.lastFailureAt < PROBE_AFTER_MS || at - this.lastProbeAt < PROBE_AFTER_MS)
      return;
    this.lastProbeAt = at;
    this.probing = true;
    try {
      await write();
    } catch {
      // Observed as a failure: the outage goes on.
    } finally {
      this.probing = false;
    }
  }
}
