/** Opens the store, starts the worker and listens: the one way a server starts (`bulk serve`, embedded, tests). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { VERSION } from '../cli/version.js';
import { isLoopback, type TokenEntry } from './auth/tokens.js';
import { answerClientError, createApp } from './create-app.js';
import { isPostgresUrl } from './default-db-path.js';
import { JobEvents } from './job-events.js';
import { loadResources } from './resources/load-resources.js';
import { DEFAULT_LIMITS, type ServerContext } from './server-context.js';
import { SqliteStore } from './store/sqlite-store.js';
import type { JobStore } from './store/store.js';
import { PgEventsPoller } from './store/pg-events-poller.js';
import { JobWorker, type WorkerOptions } from './worker/job-worker.js';
import { DEFAULT_RETENTION_MS } from './retention.js';
import { ServeConfigError } from './serve-config.js';

export interface ServeOptions {
  port: number;
  host: string;
  dbPath: string;
  resourcesFile?: string;
  /** Access log and server errors, one JSON line each; quiet when absent. */
  log?: (line: string) => void;
  maxBodyBytes?: number;
  maxItems?: number;
  maxQueuedJobs?: number;
  /** Records per worker transaction, fixed. @default sized to ~100 ms of work (500–20000) */
  chunkSize?: number;
  /** With tokens, every request but health needs one, and each sees only its own jobs. */
  tokens?: TokenEntry[];
  /** How long finished jobs are kept. @default 7 days */
  retentionMs?: number;
  /** Awaited by the worker at every chunk boundary (tests hold a job mid-way with it). */
  beforeChunk?: WorkerOptions['beforeChunk'];
  /** PostgreSQL: how long a worker's claim on a job lasts without a chunk commit. @default 15000 (env BULK_LEASE_MS) */
  leaseMs?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  dbPath: string;
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

async function openStore(dbPath: string, leaseMs: number | undefined): Promise<JobStore> {
  if (isPostgresUrl(dbPath)) {
    // Loaded only here: SQLite users never load pg.
    const { PostgresStore } = await import('./store/postgres-store.js');
    return new PostgresStore(dbPath, { leaseMs });
  }
  try {
    return new SqliteStore(dbPath);
  } catch (err) {
    // A path that is a directory, unwritable, or not a database: the person running it can fix that.
    throw new ServeConfigError(`cannot open the database ${dbPath}: ${(err as Error).message}`);
  }
}

/** Opens the store, starts the worker, listens. The embedded default and `bulk serve` both use it. */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const tokens = opts.tokens ?? [];
  if (tokens.length === 0 && !isLoopback(opts.host)) {
    throw new ServeConfigError(`refusing to listen on ${opts.host} without tokens: anyone who can reach it could read and write every job. Give --token-file or BULK_SERVE_TOKENS, or listen on 127.0.0.1.`);
  }
  const resources = loadResources(opts.resourcesFile);
  const store = await openStore(opts.dbPath, opts.leaseMs);
  const dbName = store.kind === 'postgres' ? redactUrl(opts.dbPath) : opts.dbPath;
  try {
    await store.init(resources);
  } catch (err) {
    await store.close().catch(() => undefined);
    throw new ServeConfigError(`${dbName}: cannot prepare the ${store.kind === 'postgres' ? 'database' : 'resource tables'}: ${(err as Error).message}`);
  }
  const log = opts.log ?? (() => undefined);
  const events = new JobEvents();
  const worker = new JobWorker({ store, resources, events, log, chunkSize: opts.chunkSize, beforeChunk: opts.beforeChunk });
  const ctx: ServerContext = {
    store,
    resources,
    worker,
    events,
    log,
    version: VERSION,
    limits: {
      maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_LIMITS.maxBodyBytes,
      maxItems: opts.maxItems ?? DEFAULT_LIMITS.maxItems,
      maxQueuedJobs: opts.maxQueuedJobs ?? DEFAULT_LIMITS.maxQueuedJobs,
      maxKeysPerRecord: DEFAULT_LIMITS.maxKeysPerRecord,
      maxDepth: DEFAULT_LIMITS.maxDepth,
    },
    inflightKeys: new Set(),
    draining: false,
    tokens,
  };
  const retention = opts.retentionMs ?? DEFAULT_RETENTION_MS;
  const expire = () =>
    store.expireJobs(new Date(Date.now() - retention).toISOString().replace(/\.\d{3}Z$/, 'Z')).catch((err: Error) => log(JSON.stringify({ level: 'error', msg: 'expiring jobs failed', error: err.message })));
  await expire();
  // Jobs may run on other nodes of a shared store: their changes reach this node's streams by polling.
  const versions = store.jobVersions?.bind(store);
  const poller = versions ? new PgEventsPoller(events, versions, 250, log) : null;
  poller?.start();
  const expiry = setInterval(() => void expire(), Math.max(1000, Math.min(retention / 10, 3_600_000)));
  expiry.unref();
  const server = http.createServer({ requestTimeout: 120_000, headersTimeout: 20_000, keepAliveTimeout: 10_000 }, createApp(ctx));
  server.on('clientError', answerClientError);
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
    await store.close();
    throw err;
  }
  worker.start();
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    port,
    dbPath: dbName,
    close() {
      closing ??= (async () => {
        ctx.draining = true;
        clearInterval(expiry);
        poller?.stop();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        events.shutdown();
        server.closeIdleConnections();
        await worker.stop();
        server.closeIdleConnections();
        // Requests still being answered get a moment, then go.
        const timer = setTimeout(() => server.closeAllConnections(), 2000);
        await closed;
        clearTimeout(timer);
        await store.close();
      })();
      return closing;
    },
  };
}
