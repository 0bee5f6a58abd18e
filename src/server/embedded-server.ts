// The server an upload without --url starts for itself: `bulk serve` in a worker thread,
// with a handle to close it.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

export interface EmbeddedServer {
  url: string;
  /** Its SQLite file (or PostgreSQL URL). */
  database: string;
  /** Finishes the chunk in hand, closes the database, ends the thread. */
  close(): Promise<void>;
}

/**
 * Starts the embedded `bulk serve` in a worker thread, so the server stores on one core while the
 * upload reads and parses on another; sharing the upload's thread, the two would take turns on one.
 */
export async function startEmbeddedServer(database: string): Promise<EmbeddedServer> {
  const worker = new Worker(new URL('./embedded-thread.js', import.meta.url), { workerData: { database } });
  const exited = once(worker, 'exit');
  const ready = await new Promise<{ url: string; database: string }>((resolve, reject) => {
    worker.once('message', (m: { url?: string; database?: string; error?: string }) =>
      m.error || !m.url
        ? reject(new Error(m.error ?? 'the embedded server did not start'))
        : resolve({ url: m.url, database: m.database ?? database }),
    );
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the embedded server stopped while starting (exit ${code})`)));
  });
  let closing: Promise<void> | null = null;
  return {
    ...ready,
    close() {
      closing ??= (async () => {
        worker.postMessage('close');
        await exited;
      })();
      return closing;
    },
  };
}
