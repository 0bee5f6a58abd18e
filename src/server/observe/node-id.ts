/** A server instance's name in logs, health, job status and leases: host, pid and start time. */
import { hostname } from 'node:os';

let started = 0;

/**
 * `host:pid:start`, start in UTC to the second (`20261202T055301Z`). Stable for the life of the
 * server; a second server in the same process (tests, an embedder) gets a `-2` suffix so two
 * instances never share leases.
 */
export function newNodeId(now = new Date()): string {
  started++;
  const start = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${hostname()}:${process.pid}:${start}${started > 1 ? `-${started}` : ''}`;
}
