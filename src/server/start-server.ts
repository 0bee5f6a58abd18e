import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { VERSION } from '../cli/version.js';
import { createApp } from './create-app.js';
import { JobEvents } from './job-events.js';
import { loadResources } from './resources/load-resources.js';
import { DEFAULT_LIMITS, type ServerContext } from './server-context.js';
import { SqliteStore } from './store/sqlite-store.js';
import { JobWorker } from './worker/job-worker.js';

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
}

export interface RunningServer {
  url: string;
  port: number;
  dbPath: string;
  /** Stops taking requests, finishes the chunk in hand, closes the database. */
  close(): Promise<void>;
}

/** Opens the store, starts the worker, listens. The embedded default and `bulk serve` both use it. */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const resources = loadResources(opts.resourcesFile);
  const store = new SqliteStore(opts.dbPath);
  await store.init(resources);
  const log = opts.log ?? (() => undefined);
  const events = new JobEvents();
  const worker = new JobWorker({ store, resources, events, log, chunkSize: opts.chunkSize });
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
    },
    inflightKeys: new Set(),
    draining: false,
  };
  const server = http.createServer({ requestTimeout: 120_000, headersTimeout: 20_000, keepAliveTimeout: 10_000 }, createApp(ctx));
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
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await worker.stop();
        // Streams and slow clients get a moment, then go.
        const timer = setTimeout(() => server.closeAllConnections(), 2000);
        await closed;
        clearTimeout(timer);
        await store.close();
      })();
      return closing;
    },
  };
}
