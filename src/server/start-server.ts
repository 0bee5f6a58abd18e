import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { VERSION } from '../cli/version.js';
import { isLoopback, type TokenEntry } from './auth/tokens.js';
import { answerClientError, createApp } from './create-app.js';
import { JobEvents } from './job-events.js';
import { loadResources } from './resources/load-resources.js';
import { DEFAULT_LIMITS, type ServerContext } from './server-context.js';
import { SqliteStore } from './store/sqlite-store.js';
import { JobWorker, type WorkerOptions } from './worker/job-worker.js';
import { DEFAULT_RETENTION_MS } from './retention.js';

export class ServeConfigError extends Error {}

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
  /** Records per worker transaction. @default 1000 */
  chunkSize?: number;
  /** With tokens, every request but health needs one, and each sees only its own jobs. */
  tokens?: TokenEntry[];
  /** How long finished jobs are kept. @default 7 days */
  retentionMs?: number;
  /** Awaited by the worker at every chunk boundary (tests hold a job mid-way with it). */
  beforeChunk?: WorkerOptions['beforeChunk'];
}

export interface RunningServer {
  url: string;
  port: number;
  dbPath: string;
  /** Stops taking requests, finishes the chunk in hand, closes the database. */
  close(): Promise<void>;
}

function openStore(dbPath: string): SqliteStore {
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
  const store = openStore(opts.dbPath);
  try {
    await store.init(resources);
  } catch (err) {
    await store.close();
    throw new ServeConfigError(`${opts.dbPath}: cannot prepare the resource tables: ${(err as Error).message}`);
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
    dbPath: opts.dbPath,
    close() {
      closing ??= (async () => {
        ctx.draining = true;
        clearInterval(expiry);
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
