// A fake of the upstream server (a Django REST Framework extension with Celery jobs) answering as
// ../shared/upstream-wire.md records it, row by row: offset timestamps, success_count 0 while In
// Progress, errors null at Job Complete, Python-repr errors when Failed, one duplicate key failing
// the whole job, aggregates never ready, a synchronous PATCH of 50 items or fewer, 404 HTML for what
// it does not route, Idempotency-Key ignored, no 413. It keeps the truth of what it stored.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';

export interface UpstreamOptions {
  /** The resources it has (each with the transactions unique key). @default ['transactions'] */
  resources?: string[];
  /** Status answers 'In Progress' this many times before the final state. @default 1 */
  pollsBeforeFinal?: number;
  /** Aggregates not ready as 202 instead of 400. */
  aggregates202?: boolean;
  /** The start answer's status_url names a path the server does not route. */
  unroutedStatusUrl?: boolean;
  /** The first start's connection is reset once its job is made (a proxy dropping the answer). */
  resetFirstStart?: boolean;
}

export interface UpstreamJob {
  id: string;
  state: 'In Progress' | 'Job Complete' | 'Failed';
  total: number;
  stored: number;
  errors: Array<{ index: number; error: string; data: unknown }>;
  errorCount: number;
  polls: number;
}

export interface UpstreamFake {
  url: string;
  jobs: UpstreamJob[];
  /** Keys of every stored record, as `account_id|transaction_date|description`, in the order stored. */
  stored: string[];
  /** How many requests each route got, e.g. `GET aggregates`. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

const HTML_404 = '<!DOCTYPE html><html><head><title>Not Found</title></head><body><h1>Not Found</h1></body></html>';
const MAX_SYNC_ITEMS = 50;

/** Django's isoformat(): an offset and microseconds, never `Z`. */
const now = () => new Date().toISOString().replace('Z', '000+00:00');

const keyOf = (r: Record<string, unknown>) => `${r.account_id}|${r.transaction_date}|${r.description}`;

/** DRF's field errors as the upstream prints them: the repr of a dict of ErrorDetail lists. */
function validationError(r: Record<string, unknown>): string | null {
  if (r.amount === undefined || r.amount === '' || Number.isNaN(Number(r.amount)))
    return "{'amount': [ErrorDetail(string='A valid number is required.', code='invalid')]}";
  if (!/^\d{4}-\d{2}-\d{2}$/.test(String(r.transaction_date ?? '')))
    return "{'transaction_date': [ErrorDetail(string='Date has wrong format. Use one of these formats instead: YYYY-MM-DD.', code='invalid')]}";
  return null;
}

export async function startUpstreamFake(opts: UpstreamOptions = {}): Promise<UpstreamFake> {
  const resources = new Set(opts.resources ?? ['transactions']);
  const jobs: UpstreamJob[] = [];
  const byId = new Map<string, UpstreamJob>();
  const stored: string[] = [];
  const keys = new Set<string>();
  const hits = new Map<string, number>();
  let seq = 0;
  let base = '';
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', vary: 'Accept, Cookie', allow: 'GET, POST, PATCH' });
    res.end(JSON.stringify(body));
  };
  const html404 = (res: http.ServerResponse) => {
    res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
    res.end(HTML_404);
  };
  const hit = (what: string) => hits.set(what, (hits.get(what) ?? 0) + 1);

  /** Runs a job as the Celery task does: every row validated; one duplicate key fails the whole job. */
  function play(job: UpstreamJob, records: Array<Record<string, unknown>>): void {
    const errors: UpstreamJob['errors'] = [];
    const valid: Array<Record<string, unknown>> = [];
    records.forEach((r, index) => {
      const e = validationError(r);
      if (e) errors.push({ index, error: e, data: r });
      else valid.push(r);
    });
    const seen = new Set<string>();
    const duplicate = valid.find((r) => {
      const k = keyOf(r);
      const dup = keys.has(k) || seen.has(k);
      seen.add(k);
      return dup;
    });
    if (duplicate) {
      job.state = 'Failed';
      job.errors = [
        {
          index: 0,
          error:
            'Task failed: UNIQUE constraint failed: transactions.account_id, transactions.transaction_date, transactions.description',
          data: null,
        },
      ];
      // Counted per chunk the task gave up on, beside a success_count of 0: the counts do not add up.
      job.errorCount = Math.max(1, Math.ceil(records.length / 100));
      return;
    }
    if (valid.length === 0 && errors.length > 0) {
      job.state = 'Failed';
      job.errors = errors;
      job.errorCount = errors.length;
      return;
    }
    for (const r of valid) {
      keys.add(keyOf(r));
      stored.push(keyOf(r));
    }
    job.state = 'Job Complete';
    job.stored = valid.length;
    job.errors = errors;
    job.errorCount = errors.length;
  }

  function statusOf(job: UpstreamJob): Record<string, unknown> {
    const running = job.polls <= (opts.pollsBeforeFinal ?? 1);
    const state = running ? 'In Progress' : job.state;
    const complete = state === 'Job Complete';
    return {
      job_id: job.id,
      job_type: 'insert',
      state,
      status: running ? 'processing' : complete ? 'completed' : 'failed',
      message: running ? 'Job is currently being processed' : complete ? 'Job completed successfully' : 'Job failed',
      created_at: now(),
      updated_at: now(),
      completed_at: running ? null : now(),
      total_items: job.total,
      processed_items: running ? 0 : job.total,
      success_count: running ? 0 : job.stored,
      error_count: running ? 0 : job.errorCount,
      percentage: running ? 0.0 : 100.0,
      estimated_remaining: null,
      aggregates_ready: false,
      aggregates_completed: false,
      next_steps: [],
      can_retry: state === 'Failed',
      // errors null at Job Complete, even with errors counted; every error when Failed.
      errors: state === 'Failed' ? job.errors : null,
    };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', base);
      const body = Buffer.concat(chunks).toString('utf8');
      const bulk = /^\/api\/([^/]+)\/bulk\/$/.exec(url.pathname);
      if (bulk && (req.method === 'POST' || req.method === 'PATCH')) {
        hit(`${req.method} bulk`);
        if (!resources.has(bulk[1] as string)) return html404(res);
        let records: unknown;
        try {
          records = JSON.parse(body);
        } catch (err) {
          return json(res, 400, { detail: `JSON parse error - ${(err as Error).message}` });
        }
        if (!Array.isArray(records)) return json(res, 400, { error: 'Expected array data for bulk operations.' });
        if (records.length === 0) return json(res, 400, { error: 'Empty array provided' });
        const items = records as Array<Record<string, unknown>>;
        if (req.method === 'PATCH') {
          if (!url.searchParams.get('unique_fields'))
            return json(res, 400, { error: "Item at index 0 is missing 'id' field" });
          if (items.length > MAX_SYNC_ITEMS)
            return json(res, 400, {
              error: `Too many items for sync processing. Use /bulk/ endpoint for >${MAX_SYNC_ITEMS} items.`,
              provided_items: items.length,
              max_sync_items: MAX_SYNC_ITEMS,
            });
          // Handled at once: every item upserted, the stored records answered, no job.
          const out = items.map((r, i) => {
            if (!keys.has(keyOf(r))) {
              keys.add(keyOf(r));
              stored.push(keyOf(r));
            }
            return { id: i + 1, ...r };
          });
          return json(res, 200, out.length === 1 ? out[0] : out);
        }
        const id = `${(++seq).toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
        const job: UpstreamJob = {
          id,
          state: 'In Progress',
          total: items.length,
          stored: 0,
          errors: [],
          errorCount: 0,
          polls: 0,
        };
        play(job, items);
        jobs.push(job);
        byId.set(id, job);
        if (opts.resetFirstStart && jobs.length === 1) return void req.socket.destroy();
        return json(res, 202, {
          message: `Bulk insert job started for ${items.length} items`,
          job_id: id,
          task_id: `task-${id}`,
          total_items: items.length,
          status_url: opts.unroutedStatusUrl ? `/api/bulk-jobs/${id}/status/` : `/api/jobs/${id}/status/`,
          aggregates_url: `/api/jobs/${id}/aggregates/`,
          estimated_duration: 'less than a minute',
          next_steps: ['Poll status_url for progress'],
          tips: ['Use aggregates_url once the job completes'],
        });
      }
      const jobRoute = /^\/api\/jobs\/([^/]+)\/(status|aggregates)\/$/.exec(url.pathname);
      if (jobRoute && req.method === 'GET') {
        hit(`GET ${jobRoute[2]}`);
        const job = byId.get(jobRoute[1] as string);
        if (!job) return json(res, 200, { error: 'Job not found' });
        if (jobRoute[2] === 'status') {
          job.polls++;
          return json(res, 200, statusOf(job));
        }
        return opts.aggregates202
          ? json(res, 202, { error: 'Aggregates not yet completed for this job' })
          : json(res, 400, { error: 'Aggregates not completed yet', state: job.state });
      }
      // Resources, health, the jobs list, errors, events, abort and anything else: not routed.
      hit(`${req.method} other`);
      return html404(res);
    });
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    jobs,
    stored,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
