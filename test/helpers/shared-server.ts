import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { tempDir } from './temp.js';

/** One in-process server for a test file: its URL, a temp folder, and the env the CLI runs with. */
export interface SharedServer {
  server: RunningServer;
  dir: string;
  env: Record<string, string>;
}

/** Starts a server before the file's tests and closes it after; read the fields inside tests. */
export function sharedServer(prefix: string): SharedServer {
  const shared = {} as SharedServer;
  beforeAll(async () => {
    shared.dir = tempDir(prefix);
    shared.server = await startServer({ port: 0, host: '127.0.0.1', database: path.join(shared.dir, 'server.db') });
    shared.env = { BULK_URL: shared.server.url, BULK_STATE_DIR: path.join(shared.dir, 'state') };
  });
  afterAll(async () => shared.server?.close());
  return shared;
}
