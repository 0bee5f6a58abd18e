import net from 'node:net';
import path from 'node:path';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chooseDatabase } from '../../src/server/database-setting.js';
import { call, tx, waitForFinal } from '../helpers/http.js';
import { runCli } from '../helpers/run-cli.js';
import { spawnServer } from '../helpers/server-process.js';
import { tempDir } from '../helpers/temp.js';

describe('bulk serve, the process', () => {
  it('prints exactly one stdout line with the real port and the db, logs JSON per request, exits 0 on SIGINT', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'serve.db');
    const proc = await spawnServer({ dbPath: db });
    const start = await call(proc.url, 'POST', '/api/transactions/bulk/', { body: [tx(1)] });
    await waitForFinal(proc.url, String(start.body.job_id));
    expect(await proc.stop('SIGINT')).toBe(0);
    const m = /^bulk serve listening on http:\/\/127\.0\.0\.1:(\d+) \(db: (.+)\)\n$/.exec(proc.stdout());
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(m![2]).toBe(db);
    const log = proc
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(log.find((e) => e.method === 'POST')).toMatchObject({
      path: '/api/transactions/bulk/',
      status: 202,
      job_id: start.body.job_id,
      ms: expect.any(Number),
      time: expect.any(String),
    });
    expect(log.find((e) => e.method === 'GET')).toMatchObject({
      path: `/api/jobs/${start.body.job_id}/status/`,
      status: 200,
      job_id: start.body.job_id,
    });
    expect(proc.stderr()).toMatch(/SIGINT/);
  });

  it('--quiet: no access log', async () => {
    const proc = await spawnServer({ args: ['--quiet'] });
    await call(proc.url, 'GET', '/api/health/');
    expect(await proc.stop()).toBe(0);
    expect(proc.stderr()).not.toMatch(/"method"/);
  });

  it('BULK_DB, then XDG_DATA_HOME, give the default database', async () => {
    const dir = tempDir();
    const viaEnv = await spawnServer({ dbPath: null, env: { BULK_DB: path.join(dir, 'env.db') } });
    expect(viaEnv.dbPath).toBe(path.join(dir, 'env.db'));
    await viaEnv.stop();
    const viaXdg = await spawnServer({ dbPath: null, env: { XDG_DATA_HOME: path.join(dir, 'xdg') } });
    expect(viaXdg.dbPath).toBe(path.join(dir, 'xdg', 'bulk', 'bulk.db'));
    await viaXdg.stop();
    expect(existsSync(path.join(dir, 'xdg', 'bulk', 'bulk.db'))).toBe(true);
    expect(chooseDatabase(undefined, { HOME: '/h' })).toMatch(/\.local\/share\/bulk\/bulk\.db$/);
    expect(chooseDatabase(undefined, { BULK_DB: '/x.db', XDG_DATA_HOME: '/d' })).toBe('/x.db');
  });
});

describe('bulk serve refuses bad configuration with exit 2 and a clear message', () => {
  it('a resources file with a bad field type names the resource and the field', async () => {
    const file = path.join(tempDir(), 'bad.json');
    writeFileSync(file, JSON.stringify({ resources: { orders: { fields: { price: { type: 'money' } } } } }));
    const res = await runCli(['serve', '--port', '0', '--db', path.join(tempDir(), 'x.db'), '--resources', file]);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain(`${file}: resource "orders", field "price": type must be one of`);
  });

  it('a port in use', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const res = await runCli(['serve', '--port', String(port), '--db', path.join(tempDir(), 'x.db')]);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('a database path that is a directory, and a bad flag value', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'db-dir'));
    const res = await runCli(['serve', '--port', '0', '--db', path.join(dir, 'db-dir')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('cannot open the database');
    const flag = await runCli(['serve', '--max-items', 'many']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--max-items/);
  });
});
