/** What every route needs, and the server's limits. */
import type { TokenEntry } from './auth/tokens.js';
import type { ServerLogger } from './observe/server-log.js';
import type { ServerMetrics } from './observe/server-metrics.js';
import type { StoreHealth } from './observe/store-health.js';
import type { JobEvents } from './job-events.js';
import type { ResourceDef } from '../resources/resource-types.js';
import type { JobStore } from './store/store.js';
import type { JobWorker } from './worker/job-worker.js';

export interface ServerLimits {
  /** @default 64 MiB */
  maxBodyBytes: number;
  /** Items in one job. @default 100000 */
  maxItems: number;
  /** Open and running jobs before new ones get 429. @default 1000 */
  maxQueuedJobs: number;
  /** Open and running jobs of one token before its new ones get 429 (others' still go in). @default 32 */
  maxQueuedJobsPerToken: number;
  /** Keys in one record. @default 1000 */
  maxKeysPerRecord: number;
  /** How deep a record's values may nest (the record itself is level 1). @default 32 */
  maxDepth: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxBodyBytes: 64 * 1024 * 1024,
  maxItems: 100_000,
  maxQueuedJobs: 1000,
  maxQueuedJobsPerToken: 32,
  maxKeysPerRecord: 1000,
  maxDepth: 32,
};

/** What every route needs, built once by start-server. */
export interface ServerContext {
  store: JobStore;
  resources: Map<string, ResourceDef>;
  worker: JobWorker;
  events: JobEvents;
  limits: ServerLimits;
  version: string;
  /** This server instance: in every log line, health, and the status of jobs it runs. */
  nodeId: string;
  log: ServerLogger;
  /** Whether each request gets an access line (`--quiet` drops them; errors are always logged). */
  accessLog: boolean;
  metrics: ServerMetrics;
  /** Whether the store writes, from every store call's outcome (health answers from it). */
  storeHealth: StoreHealth;
  /** Bulk requests admitted but not yet answered, per token (their jobs are not in the queue yet). */
  admitting: Map<string, number>;
  /** Keys whose first request is still being taken: a second one gets 409. */
  inflightKeys: Set<string>;
  /** Set while shutting down: new jobs get 503. */
  draining: boolean;
  /** Empty: no auth, every job belongs to ''. */
  tokens: TokenEntry[];
  /** The operator's token for /metrics (never a tenant's); null: see metrics-route.ts. */
  metricsToken: TokenEntry | null;
  /** How often event streams send a heartbeat comment (and announce it). */
  heartbeatMs: number;
}
