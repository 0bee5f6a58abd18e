// (ext) GET /api/overview/: what the jobs page's header shows, from the server rather than from the
// jobs the page happened to load: the caller's jobs by state, rows stored and failed in the last
// hour, and rows per 5 s over the last five minutes (kept across page reloads; this node's chunks).
import type { ServerResponse } from 'node:http';
import { JOB_STATES } from '../../protocol/index.js';
import { sendJson } from '../http/http-io.js';
import { BUCKET_MS } from '../observe/rate-history.js';
import type { ServerContext } from '../server-context.js';

const HOUR_MS = 3_600_000;

export async function getOverview(ctx: ServerContext, res: ServerResponse, owner: string): Promise<void> {
  const now = Date.now();
  const facts = ctx.store.runs
    ? await ctx.store.runs.overview(owner, new Date(now - HOUR_MS).toISOString())
    : { byState: {}, stored: 0, failed: 0 };
  sendJson(res, 200, {
    jobs_by_state: Object.fromEntries(JOB_STATES.map((s) => [s, facts.byState[s] ?? 0])),
    last_hour: { stored: facts.stored, failed: facts.failed },
    rate: { bucket_seconds: BUCKET_MS / 1000, rows: ctx.worker.rates.series(owner, now) },
  });
}
