/** Opens the store, starts the worker and listens: the one way a server starts (`bulk serve`, embedded, tests). */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { VERSION } from '../version.js';
import { isLoopback, type TokenEntry } from './auth/tokens.js';
import { answerClientError, createApp } from './create-app.js';
import { isPostgresUrl } from './database-setting.js';
import { HEARTBEAT_MS } from './http/event-stream.js';
import { JobEvents } from './job-events.js';
import { newNodeId } from './observe/node-id.js';
import { createServerLogger, type ServerLogger } from './observe/server-log.js';
import { ServerMetrics } from './observe/server-metrics.js';
import { StoreHealth } from './observe/store-health.js';
import { loadResources } from './resources/load-resources.js';
import { setRetention, startPruning } from './retention.js';
import { DEFAULT_LIMITS, type ServerContext } from './server-context.js';
import { ServeConfigError } from './serve-config.js';
import { PgEventsPoller } from './store/pg-events-poller.js';
import { SqliteStore } from './store/sqlite-store.js';
import { observeStoreCalls } from './store/store-errors.js';
import { DEFAULT_LEASE_MS, type JobStore } from './store/store.js';
import { JobWorker, type WorkerOptions } from './worker/job-worker.js';

export interface ServeOptions {
  port: number;
  host: string;
  /** The database: a SQLite file's path, or a postgres:// URL. */
  database: string;
  resourcesFile?: string;
  /** The log stream (pino); silent when absent. Give `nodeId` too so its lines and the server agree. */
  logger?: ServerLogger;
  /** @default host:pid:start time */
  nodeId?: string;
  /** Drop access lines (never errors). */
  quiet?: boolean;
  maxBodyBytes?: number;
  maxItems?: number;
  maxQueuedJobs?: number;
  maxQueuedJobsPerToken?: number;
  /** Records per worker transaction, fixed. @default sized to ~100 ms of work (500–20000) */
  chunkSize?: number;
  /** With tokens, every request but health needs one, and each sees only its own jobs. */
  tokens?: TokenEntry[];
  /** The operator's token for /metrics (tenant tokens never open it). */
  metricsToken?: TokenEntry;
  /** Sets the database's retention (every node on it prunes by it). @default the database's, else 7 days */
  retentionMs?: number;
  /** Awaited by the worker at every chunk boundary (tests hold a job mid-way with it). */
  beforeChunk?: WorkerOptions['beforeChunk'];
  /** PostgreSQL: how long a claim holds a job without a heartbeat. @default 5000 */
  leaseMs?: number;
  /** PostgreSQL: the application_name of this server's connections. @default 'bulk serve <node id>' */
  applicationName?: string;
  /** How often event streams send a heartbeat (announced to clients, who give up after about two). @default 5000 */
  heartbeatMs?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  /** The database as the server names it: the SQLite path, or the PostgreSQL URL without its password. */
  database: string;
  nodeId: string;
  /** Stops taking requests, finishes the chunk in hand, closes the database. */
  close(): Promise<void>;
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

async function openStore(opts: ServeOptions, nodeId: string, leaseMs: number): Promise<JobStore> {
  if (isPostgresUrl(opts.database)) {
    // Loaded only here: SQLite users never load pg.
    const { PostgresStore } = await import('./store/postgres-store.js');
    return new PostgresStore(opts.database, { leaseMs, nodeId, applicationName: opts.applicationName });
  }
  try {
    return new SqliteStore(opts.database, nodeId);
  } catch (err) {
    // A path that is a directory, unwritable, or not a database: the person running it can fix that.
    throw new ServeConfigError(`cannot open the database ${opts.database}: ${(err as Error).message}`);
  }
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const tokens = opts.tokens ?? [];
  if (tokens.length === 0 && !isLoopback(opts.host)) {
    throw new ServeConfigError(
      `refusing to listen on ${opts.host} without tokens: ` +
        `anyone who can reach it could read and write every job. ` +
        `Give --token-file or BULK_SERVE_TOKENS, or listen on 127.0.0.1.`,
    );
  }
  const nodeId = opts.nodeId ?? newNodeId();
  const log = opts.logger ?? createServerLogger(nodeId);
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  const resources = loadResources(opts.resourcesFile);
  // Default process metrics only for a real `bulk serve` (one per process); embedded and test servers skip them.
  const metrics = new ServerMetrics(opts.logger !== undefined);
  const storeHealth = new StoreHealth(log, metrics);
  const store = await openStore(opts, nodeId, leaseMs);
  observeStoreCalls(store, storeHealth.observe);
  const dbName = store.kind === 'postgres' ? redactUrl(opts.database) : opts.database;
  try {
    await store.init(resources);
    if (opts.retentionMs !== undefined) await setRetention(store, opts.retentionMs, log);
  } catch (err) {
    await store.close().catch(() => undefined);
    throw new ServeConfigError(
      `${dbName}: cannot prepare the ${store.kind === 'postgres' ? 'database' : 'resource tables'}: ` +
        `${(err as Error).message}`,
    );
  }
  const events = new JobEvents();
  storeHealth.onChange = () => {
    for (const id of events.watched().ids) events.changed(id);
  };
  const worker = new JobWorker({
    store,
    resources,
    events,
    log,
    metrics,
    chunkSize: opts.chunkSize,
    beforeChunk: opts.beforeChunk,
    leaseMs,
  });
  const ctx: ServerContext = {
    store,
    resources,
    worker,
    events,
    log,
    accessLog: opts.logger !== undefined && opts.quiet !== true,
    metrics,
    storeHealth,
    nodeId,
    version: VERSION,
    limits: {
      maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_LIMITS.maxBodyBytes,
      maxItems: opts.maxItems ?? DEFAULT_LIMITS.maxItems,
      maxQueuedJobs: opts.maxQueuedJobs ?? DEFAULT_LIMITS.maxQueuedJobs,
      maxQueuedJobsPerToken: opts.maxQueuedJobsPerToken ?? DEFAULT_LIMITS.maxQueuedJobsPerToken,
      maxKeysPerRecord: DEFAULT_LIMITS.maxKeysPerRecord,
      maxDepth: DEFAULT_LIMITS.maxDepth,
    },
    inflightKeys: new Set(),
    admitting: new Map(),
    draining: false,
    tokens,
    metricsToken: opts.metricsToken ?? null,
    heartbeatMs: opts.heartbeatMs ?? HEARTBEAT_MS,
  };
  const pruning = startPruning(store, log);
  await pruning.first;
  // Jobs may run on other nodes of a shared store: their changes reach this node's streams by polling.
  const versions = store.jobVersions?.bind(store);
  const poller = versions ? new PgEventsPoller(events, versions, 250, log) : null;
  poller?.start();
  const server = http.createServer(
    { requestTimeout: 120_000, headersTimeout: 20_000, keepAliveTimeout: 10_000 },
    createApp(ctx),
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => answerClientError(err, socket, ctx));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    poller?.stop();
    pruning.stop();
    await store.close();
    throw err;
  }
  worker.start();
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `http://${host}:${port}`;
  log.info(
    {
      url,
      db: dbName,
      store: store.kind,
      version: VERSION,
      tokens: tokens.length,
      // Who may read /metrics (metrics-route.ts), so an operator sees at start why a scrape is refused.
      metrics: opts.metricsToken ? 'operator token' : tokens.length > 0 ? 'refused: no --metrics-token-file' : 'open',
      lease_ms: store.kind === 'postgres' ? leaseMs : undefined,
    },
    'bulk serve started',
  );
  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    database: dbName,
    nodeId,
    close() {
      closing ??= (async () => {
        ctx.draining = true;
        pruning.stop();
        poller?.stop();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        events.shutdown();
        server.closeIdleConnections();
        await worker.stop();
        await releaseJobs(store, log, metrics);
        server.closeIdleConnections();
        // Requests still being answered get a moment, then go.
        const timer = setTimeout(() => server.closeAllConnections(), 2000);
        await closed;
        clearTimeout(timer);
        await store.close();
        log.info('bulk serve stopped');
      })();
      return closing;
    },
  };
}

/** A graceful stop lets go of the jobs this node holds, said once at info with their ids (never a takeover). */
async function releaseJobs(store: JobStore, log: ServerLogger, metrics: ServerMetrics): Promise<void> {
  try {
    const jobs = await store.releaseJobs();
    metrics.releases.inc(jobs.length);
    if (jobs.length > 0) log.info({ jobs, count: jobs.length }, 'jobs released for another node to continue');
  } catch (err) {
    // The store is away: the leases run out instead, and the next node takes the jobs over.
    log.debug({ err: (err as Error).message }, 'could not release jobs');
  }
}
