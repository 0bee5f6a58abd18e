/** `GET /api/health/`: whether this node can serve, for load balancers and people. */
import type { ServerResponse } from 'node:http';
import { sendJson } from '../http/http-io.js';
import type { ServerContext } from '../server-context.js';

export async function getHealth(ctx: ServerContext, res: ServerResponse): Promise<void> {
  sendJson(res, 200, { status: 'ok', version: ctx.version, store: ctx.store.kind, queue_depth: await ctx.store.queueDepth() });
}
