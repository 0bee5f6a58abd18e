import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { parseTokens, type TokenEntry } from '../../src/server/auth/tokens.js';
import { resolveServeConfig, ServeConfigError } from '../../src/server/serve-config.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { PostgresStore } from '../../src/server/store/postgres-store.js';
import { call, tx } from '../helpers/http.js';
import { createTestSchema, pgReachable } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp.js';

const pgUp = await pgReachable();
const ALICE = 'alice-token-0123456789';
const BOB = 'bob-token-0123456789ab';
const OPERATOR = 'operator-token-0123456789';
const tenants = parseTokens(`alice ${ALICE}\nbob ${BOB}`, 'test');
const operator = { ...(parseTokens(OPERATOR, 'test')[0] as TokenEntry), name: 'operator' };

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function serve(opts: { tokens?: TokenEntry[]; metricsToken?: TokenEntry } = {}): Promise<string> {
  const dbPath = path.join(tempDir('bulk-ops-'), 'bulk.db');
  server = await startServer({ port: 0, host: '127.0.0.1', database: dbPath, ...opts });
  return server.url;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('tenants do not see each other in metrics or health', () => {
  it('with tenant tokens and no operator token: /metrics is refused to every tenant, health shows nothing per tenant', async () => {
    const url = await serve({ tokens: tenants });
    expect((await call(url, 'POST', '/api/transactions/bulk/', { body: [tx(1)], headers: bearer(ALICE) })).status).toBe(
      202,
    );
    const asBob = await call(url, 'GET', '/metrics', { headers: bearer(BOB) });
    expect(asBob.status).toBe(403);
    expect(asBob.text).not.toContain('alice');
    expect(String(asBob.body.error)).toContain('--metrics-token-file');
    expect((await call(url, 'GET', '/metrics', { headers: bearer(ALICE) })).status).toBe(403);
    const health = await call(url, 'GET', '/api/health/');
    expect(health.status).toBe(200);
    expect(health.body).not.toHaveProperty('queue_depth');
  });

  it('with an operator token: only it opens /metrics, and the operator sees every tenant, a quiet one at 0', async () => {
    const url = await serve({ tokens: tenants, metricsToken: operator });
    await call(url, 'POST', '/api/transactions/bulk/', { body: [tx(1)], headers: bearer(ALICE) });
    expect((await call(url, 'GET', '/metrics', { headers: bearer(ALICE) })).status).toBe(401);
    expect((await call(url, 'GET', '/metrics')).status).toBe(401);
    const asOperator = await call(url, 'GET', '/metrics', { headers: bearer(OPERATOR) });
    expect(asOperator.status).toBe(200);
    expect(asOperator.text).toMatch(/^bulk_queue_depth\{token="bob"\} 0$/m);
    expect(asOperator.text).toMatch(/^bulk_queue_depth\{token="alice"\} [01]$/m);
    // The operator token is not a tenant's: it owns no jobs and opens nothing else.
    expect((await call(url, 'GET', '/api/jobs/', { headers: bearer(OPERATOR) })).status).toBe(401);
  });
});

describe('metrics an operator can alert on', () => {
  it('every series is present from the start, at 0 where nothing happened yet', async () => {
    const url = await serve();
    const text = (await call(url, 'GET', '/metrics')).text;
    for (const kind of ['busy', 'unavailable', 'disk_full', 'read_only'])
      expect(text).toMatch(new RegExp(`^bulk_store_errors_total\\{kind="${kind}"\\} 0$`, 'm'));
    expect(text).toMatch(/^bulk_queue_depth\{token="-"\} 0$/m);
    expect(text).toMatch(/^bulk_lease_takeovers_total 0$/m);
    expect(text).toMatch(/^bulk_lease_releases_total 0$/m);
    expect(text).toMatch(/^bulk_store_writable 1$/m);
  });

  it('a request node:http refuses before the handler (not HTTP) is counted like any answer', async () => {
    const url = new URL(await serve());
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(Number(url.port), url.hostname, () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('close', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    const text = (await call(url.origin, 'GET', '/metrics')).text;
    expect(text).toMatch(/^bulk_http_requests_total\{route="unparsed",method="-",status="400"\} 1$/m);
  });

  it.skipIf(!pgUp)("PostgreSQL connections carry the node's id in application_name", async () => {
    const schema = await createTestSchema();
    const store = new PostgresStore(schema.url, { nodeId: 'ops-node:4242:20261206T000000Z' });
    const admin = new pg.Client({ connectionString: schema.url });
    try {
      await store.init(new Map());
      await admin.connect();
      const { rows } = await admin.query<{ application_name: string }>(
        "SELECT application_name FROM pg_stat_activity WHERE application_name LIKE 'bulk serve ops-node%'",
      );
      expect(rows.map((r) => r.application_name)).toContain('bulk serve ops-node:4242:20261206T000000Z');
    } finally {
      await admin.end();
      await store.close();
      await schema.drop();
    }
  });
});

describe('the operator token in the serve configuration', () => {
  const flags = { port: 0, host: '127.0.0.1', db: path.join(tempDir('bulk-ops-cfg-'), 'b.db') };
  it('comes from a file (first line) or BULK_METRICS_TOKEN, kept as a hash under the name operator', () => {
    const file = path.join(tempDir('bulk-ops-cfg-'), 'metrics-token');
    writeFileSync(file, `${OPERATOR}\n`);
    const fromFile = resolveServeConfig({ ...flags, metricsTokenFile: file }, {});
    expect(fromFile.metricsToken).toMatchObject({ name: 'operator', hash: operator.hash });
    expect(resolveServeConfig(flags, { BULK_METRICS_TOKEN: OPERATOR }).metricsToken?.hash).toEqual(operator.hash);
    expect(resolveServeConfig(flags, {}).metricsToken).toBeUndefined();
  });

  it('refuses a short token, a token with a name, and a file it cannot read, as configuration errors', () => {
    expect(() => resolveServeConfig(flags, { BULK_METRICS_TOKEN: 'short' })).toThrow(ServeConfigError);
    expect(() => resolveServeConfig(flags, { BULK_METRICS_TOKEN: `ops ${OPERATOR}` })).toThrow(/one word/);
    expect(() => resolveServeConfig({ ...flags, metricsTokenFile: '/nonexistent/token' }, {})).toThrow(
      /cannot read the metrics token file/,
    );
  });
});
