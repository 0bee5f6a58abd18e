/**
 * `GET /api/health/`: whether this node can serve, for load balancers and people. 200 with the
 * node id, the store and the database's retention; 503 while the store cannot write (a full disk,
 * a read-only or locked database, a lost connection), saying which, until a write goes through
 * again. Nothing in it is per tenant: it needs no token.
 */
import type { ServerResponse } from 'node:http';
import type { HealthResponse } from '../../protocol/index.js';
import { nowIso } from '../clock.js';
import { sendJson } from '../http/http-io.js';
import { TROUBLE_TEXT, type StoreOutage } from '../observe/store-health.js';
import { formatDuration, retentionOf } from '../retention.js';
import type { ServerContext } from '../server-context.js';
import { isStoreTransient } from '../store/store-errors.js';

/** The setting health writes to learn whether the store writes again, when nothing else is writing. */
const PROBE_SETTING = 'health_probe';

export async function getHealth(ctx: ServerContext, res: ServerResponse): Promise<void> {
  const base = { version: ctx.version, node: ctx.nodeId };
  // A lane retrying a job is a truer test than a tiny write (which a full disk may still take).
  if (!ctx.worker.waitingOnStore()) {
    const now = nowIso();
    await ctx.storeHealth.probe(() => ctx.store.setSetting(PROBE_SETTING, now, now));
  }
  let body: HealthResponse;
  try {
    const [depth, retention] = await Promise.all([
      // The queue of the whole database tells one tenant about the others: only without tokens.
      ctx.tokens.length === 0 ? ctx.store.queueDepth() : Promise.resolve(undefined),
      retentionOf(ctx.store),
    ]);
    body = { status: 'ok', ...base, store: ctx.store.kind, queue_depth: depth, retention: formatDuration(retention) };
  } catch (err) {
    if (!isStoreTransient(err)) throw err;
    unavailable(res, base, { trouble: err.trouble, since: Date.now(), failures: 1, lastFailureAt: Date.now() });
    return;
  }
  const outage = ctx.storeHealth.current();
  if (outage) unavailable(res, base, outage);
  else sendJson(res, 200, body);
}

function unavailable(res: ServerResponse, base: { version: string; node: string }, outage: StoreOutage): void {
  sendJson(
    res,
    503,
    {
      status: 'unavailable',
      ...base,
      store: 'unavailable',
      reason: outage.trouble,
      error: `${TROUBLE_TEXT[outage.trouble]}; retry later`,
      since: new Date(outage.since).toISOString(),
      failures: outage.failures,
    },
    { 'retry-after': String(outage.trouble === 'locked' ? 1 : 5) },
  );
}
