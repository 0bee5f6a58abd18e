/**
 * `GET /metrics`: this node's Prometheus series, the job gauges read from the database at scrape
 * time. They are every tenant's figures (the queue per token among them), so no tenant's token
 * opens them: with an operator's metrics token only that token does; a server without tenant
 * tokens (loopback only) serves them to anyone who can reach it; a server with tenant tokens and
 * no metrics token refuses them, saying how to turn them on.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate, presentedToken } from '../auth/tokens.js';
import { HttpError } from '../http/http-io.js';
import type { ServerContext } from '../server-context.js';
import { isStoreTransient } from '../store/store-errors.js';

export async function getMetrics(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (ctx.metricsToken) {
    if (authenticate([ctx.metricsToken], presentedToken(req.headers.authorization)) === null)
      throw new HttpError(
        401,
        'Metrics need the operator token (--metrics-token-file)',
        {},
        { 'www-authenticate': 'Bearer' },
      );
  } else if (ctx.tokens.length > 0) {
    throw new HttpError(
      403,
      "Metrics show every tenant's figures: give the server an operator token for them " +
        '(--metrics-token-file or BULK_METRICS_TOKEN); tenant tokens never open them',
    );
  }
  try {
    ctx.metrics.setJobCounts(
      await ctx.store.jobCounts(),
      ctx.tokens.map((t) => t.name),
    );
  } catch (err) {
    // A scrape while the database is away still answers: counters and process series, the gauges as last read.
    if (!isStoreTransient(err)) throw err;
  }
  const text = await ctx.metrics.registry.metrics();
  res.writeHead(200, {
    'content-type': ctx.metrics.registry.contentType,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}
