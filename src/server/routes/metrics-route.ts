/** `GET /metrics`: this node's Prometheus series, the job gauges read from the database at scrape time. */
import type { ServerResponse } from 'node:http';
import type { ServerContext } from '../server-context.js';
import { isStoreTransient } from '../store/store-errors.js';

export async function getMetrics(ctx: ServerContext, res: ServerResponse): Promise<void> {
  try {
    ctx.metrics.setJobCounts(await ctx.store.jobCounts());
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
