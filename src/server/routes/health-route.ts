/**
 * `GET /api/health/`: whether this node can serve, for load balancers and people. 200 with the
 * node id, the store and the database's retention; 503 with `"store": "unavailable"` while the
 * database cannot be reached (the node stays up and its jobs continue once it is back).
 */
import type { ServerResponse } from 'node:http';
import type { HealthResponse } from '../../protocol/index.js';
import { sendJson } from '../http/http-io.js';
import { formatDuration, retentionOf } from '../retention.js';
import type { ServerContext } from '../server-context.js';
import { isStoreTransient } from '../store/store-errors.js';

export async function getHealth(ctx: ServerContext, res: ServerResponse): Promise<void> {
  const base = { version: ctx.version, node: ctx.nodeId };
  let body: HealthResponse;
  try {
    const [depth, retention] = await Promise.all([ctx.store.queueDepth(), retentionOf(ctx.store)]);
    body = { status: 'ok', ...base, store: ctx.store.kind, queue_depth: depth, retention: formatDuration(retention) };
  } catch (err) {
    if (!isStoreTransient(err)) throw err;
    ctx.metrics.storeError(err);
    sendJson(
      res,
      503,
      { status: 'unavailable', ...base, store: 'unavailable', error: 'the database cannot be reached; retry later' },
      { 'retry-after': String(err.retryAfterSeconds) },
    );
    return;
  }
  sendJson(res, 200, body);
}
