// One Server-Sent Events stream's lifecycle (headers, heartbeat, shutdown, cleanup), shared by
// the per-job and the server-wide event routes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HEARTBEAT_HEADER } from '../../protocol/index.js';
import type { ServerContext } from '../server-context.js';

/**
 * A comment line this often keeps proxies from closing a quiet stream, and lets a client tell a
 * quiet stream from a dead peer: the interval is announced in {@link HEARTBEAT_HEADER}, and a
 * client that hears nothing for about two of them gives the stream up (a node killed behind a
 * balancer that holds the client's side open sends no FIN, only silence).
 */
export const HEARTBEAT_MS = 5_000;

export interface EventStream {
  readonly closed: boolean;
  /** Sends one `data:` event. */
  send(data: string): void;
  /** Runs `fn` when the stream ends, for whatever reason. */
  onClose(fn: () => void): void;
  close(): void;
}

/**
 * The life of a server-events response, shared by the per-job and server-wide streams: headers,
 * heartbeats, and an end on client close or server shutdown, with every subscription released.
 */
export function openEventStream(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): EventStream {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    [HEARTBEAT_HEADER]: String(ctx.heartbeatMs),
  });
  const cleanups: (() => void)[] = [];
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    for (const fn of cleanups) fn();
    res.end();
  };
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), ctx.heartbeatMs);
  cleanups.push(() => clearInterval(heartbeat), ctx.events.onShutdown(close));
  req.on('close', close);
  return {
    get closed() {
      return closed;
    },
    send: (data) => {
      if (!closed) res.write(`data: ${data}\n\n`);
    },
    onClose: (fn) => {
      if (closed) fn();
      else cleanups.push(fn);
    },
    close,
  };
}
