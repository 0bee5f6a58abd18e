import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp.js';

let server: RunningServer;
let proxy: FaultProxy;
let dir: string;
beforeAll(async () => {
  dir = tempDir('bulk-proxy-');
  server = await startServer({ port: 0, host: '127.0.0.1', database: path.join(dir, 's.db') });
  // The loopback proxy forwards whatever it is asked for to the server, as a forward proxy would.
  proxy = await startFaultProxy(server.url);
});
afterAll(async () => {
  await proxy?.close();
  await server?.close();
});

function file(name: string, description: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, `account_id,amount,transaction_date,description\n1,1.00,2024-01-01,${description}\n`);
  return f;
}

describe('HTTP_PROXY and NO_PROXY', () => {
  it('goes through HTTP_PROXY, and around it for a host in NO_PROXY', async () => {
    const via = await runCli(['upload', file('a.csv', 'via-proxy'), '--resource', 'transactions', '--json'], {
      env: { BULK_URL: server.url, HTTP_PROXY: proxy.url, BULK_STATE_DIR: path.join(dir, 'st') },
    });
    expect(via.code, via.stderr).toBe(0);
    const seenVia = proxy.seen.length;
    expect(seenVia).toBeGreaterThan(0);
    const around = await runCli(['upload', file('b.csv', 'around-proxy'), '--resource', 'transactions', '--json'], {
      env: { BULK_URL: server.url, HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1', BULK_STATE_DIR: path.join(dir, 'st') },
    });
    expect(around.code, around.stderr).toBe(0);
    expect(proxy.seen.length).toBe(seenVia);
  });
});
