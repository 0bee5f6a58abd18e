/** Who a worker lane is to the store, and how long it waits after the store fails it. */
import { createHash } from 'node:crypto';

/** Waits after a store error: doubling from 100 ms to at most 5 s, with jitter so nodes do not retry in step. */
export function backoffMs(failures: number, random = Math.random): number {
  const base = Math.min(5000, 100 * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.5 + random() / 2));
}

/**
 * The lease owner of an owner's lane on a node: one per owner, so after a store error the lane can
 * take back the job it let go.
 */
export function laneWorkerId(owner: string): string {
  return `lane-${createHash('sha256').update(owner).digest('hex').slice(0, 8)}`;
}
