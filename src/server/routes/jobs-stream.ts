// The server-wide events route: every change to the caller's jobs, newest state per job.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { openEventStream } from '../http/event-stream.js';
import type { ServerContext } from '../server-context.js';
import { isStoreTransient } from '../store/store-errors.js';
import { statusOf } from './job-routes.js';

/**
 * (ext) `GET /api/jobs/events/`: one server-wide stream of job changes. Each event is the status
 * JSON of a job that changed (started, a chunk committed, finished, aborted), only of jobs this
 * caller may see. Changes that arrive while one is being sent are coalesced per job, so a busy
 * server sends each job's newest state rather than a backlog. Never ends by itself; a comment line
 * every 15 s keeps proxies and body timeouts from closing it.
 */
export function streamAllEvents(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, owner: string): void {
  const stream = openEventStream(ctx, req, res);
  // An opening comment, so a client knows at once that the stream is live.
  res.write(': connected\n\n');
  const pending = new Set<string>();
  const lastText = new Map<string, string>();
  let sending = false;
  const drain = async (): Promise<void> => {
    if (sending || stream.closed) return;
    sending = true;
    try {
      while (pending.size > 0 && !stream.closed) {
        const id = pending.values().next().value as string;
        pending.delete(id);
        const job = await ctx.store.getJob(id);
        // Another token's job, or one already gone: nothing, not even that it changed.
        if (!job || job.owner !== owner || stream.closed) continue;
        const text = JSON.stringify(await statusOf(ctx, job));
        if (lastText.get(id) === text || stream.closed) continue;
        lastText.set(id, text);
        // Bounded memory on a long-lived stream: forget the oldest sent states.
        if (lastText.size > 1000) lastText.delete(lastText.keys().next().value as string);
        stream.send(text);
      }
    } catch (err) {
      if (isStoreTransient(err)) ctx.log.debug({ err: err.message }, 'jobs events stream ended: store trouble');
      else ctx.log.error({ err: err as Error }, 'jobs events stream failed');
      stream.close();
    } finally {
      sending = false;
    }
  };
  stream.onClose(
    ctx.events.subscribeAll((id) => {
      pending.add(id);
      void drain();
    }),
  );
}
