// The embedded server's thread: `bulk upload` without --url runs `bulk serve` here, so the server
// validates and stores on one core while the upload reads and parses on the other.
import { parentPort, workerData } from 'node:worker_threads';
import { startServer } from './start-server.js';

const port = parentPort;
if (!port) throw new Error('embedded-thread runs as a worker thread');
try {
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    database: (workerData as { database: string }).database,
  });
  port.once('message', () => {
    void server.close().finally(() => port.close());
  });
  port.postMessage({ url: server.url, database: server.database });
} catch (err) {
  port.postMessage({ error: (err as Error).message });
  port.close();
}
