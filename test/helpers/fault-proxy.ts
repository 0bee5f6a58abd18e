import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A proxy on loopback between the client and a real `bulk serve`, that causes network faults on
 * command. Each fault applies to the next `count` matching requests, then the proxy forwards
 * normally again.
 */
export type Fault =
  /** Destroy the client connection before forwarding: the server never sees the request. */
  | { kind: 'reset-before' }
  /** Forward, let the server act, then destroy the client connection: outcome unknown to the client. */
  | { kind: 'reset-after' }
  /** Forward, then send only half of the server's body and close. */
  | { kind: 'cut-body' }
  /** Accept and never answer. */
  | { kind: 'stall' }
  /** Answer this status with an HTML body, without forwarding. */
  | { kind: 'html-status'; status: number }
  /** Answer 429 (or another status) with this Retry-After, without forwarding. */
  | { kind: 'retry-after'; status: number; retryAfter: string }
  /** Strip the (ext) fields from start and status answers: a server that has only the guide's shapes. */
  | { kind: 'guide-only' }
  /** Answer with this status and JSON body, without forwarding (e.g. a 404 for a job the server forgot). */
  | { kind: 'json-status'; status: number; body: unknown }
  /** Forward, but trickle the answer back at this many bytes a second. */
  | { kind: 'slow'; bytesPerSecond: number }
  /** Forward, and rewrite the server's JSON answer (a server that answers differently, on purpose). */
  | { kind: 'rewrite'; body: (answer: Record<string, unknown>) => Record<string, unknown> }
  /**
   * Forward the answer's headers and its first bytes, then nothing more, keeping the client's side
   * open: a node that died (or hung, or was cut off) behind a balancer that does not close the
   * client's connection. The server's side is closed.
   */
  | { kind: 'go-silent' };

interface Armed {
  fault: Fault;
  remaining: number;
  match: (req: http.IncomingMessage) => boolean;
}

export interface FaultProxy {
  url: string;
  /** Arm a fault for the next `count` requests that match (all requests by default). */
  arm(fault: Fault, opts?: { count?: number; match?: (req: http.IncomingMessage) => boolean }): void;
  /** Strip (ext) fields from every answer while on. */
  guideOnly(on: boolean): void;
  /** Refuse connections (close the listener) for `ms`, then listen again on the same port. */
  downFor(ms: number): Promise<void>;
  /** Requests seen, by "METHOD path". */
  seen: string[];
  close(): Promise<void>;
}

const EXT_FIELDS = ['errors_url', 'events_url', 'abort_url', 'resource', 'started_at', 'aggregates_url_ext'];

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const targetUrl = new URL(target);
  const armed: Armed[] = [];
  const sockets = new Set<net.Socket>();
  const seen: string[] = [];
  let stripExt = false;

  const take = (req: http.IncomingMessage): Fault | null => {
    const a = armed.find((x) => x.remaining > 0 && x.match(req));
    if (!a) return null;
    a.remaining--;
    return a.fault;
  };

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    seen.push(`${req.method} ${req.url}`);
    const fault = take(req);
    if (fault?.kind === 'reset-before') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'stall') return;
    if (fault?.kind === 'html-status') {
      req.resume();
      res
        .writeHead(fault.status, { 'content-type': 'text/html' })
        .end(`<html><body><h1>${fault.status}</h1>upstream trouble</body></html>`);
      return;
    }
    if (fault?.kind === 'json-status') {
      req.resume();
      res.writeHead(fault.status, { 'content-type': 'application/json' }).end(JSON.stringify(fault.body));
      return;
    }
    if (fault?.kind === 'retry-after') {
      req.resume();
      res
        .writeHead(fault.status, { 'content-type': 'application/json', 'retry-after': fault.retryAfter })
        .end(JSON.stringify({ error: 'slow down' }));
      return;
    }
    const upstream = http.request(
      {
        host: targetUrl.hostname,
        port: targetUrl.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: targetUrl.host },
      },
      (up) => {
        const isJson = String(up.headers['content-type'] ?? '').includes('json');
        if (fault?.kind === 'reset-after') {
          up.resume();
          up.on('end', () => req.socket.destroy());
          return;
        }
        if ((stripExt || fault?.kind === 'guide-only' || fault?.kind === 'rewrite') && isJson) {
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => {
            let body = Buffer.concat(chunks).toString('utf8');
            try {
              let parsed = JSON.parse(body) as Record<string, unknown>;
              if (stripExt || fault?.kind === 'guide-only') for (const f of EXT_FIELDS) delete parsed[f];
              if (fault?.kind === 'rewrite') parsed = fault.body(parsed);
              body = JSON.stringify(parsed);
            } catch {
              // not JSON after all: pass through
            }
            const headers = { ...up.headers, 'content-length': String(Buffer.byteLength(body)) };
            res.writeHead(up.statusCode ?? 502, headers).end(body);
          });
          return;
        }
        if (fault?.kind === 'slow') {
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => {
            const all = Buffer.concat(chunks);
            res.writeHead(up.statusCode ?? 502, { ...up.headers, 'content-length': String(all.length) });
            const step = Math.max(1, Math.floor(fault.bytesPerSecond / 20));
            let sent = 0;
            const timer = setInterval(() => {
              res.write(all.subarray(sent, sent + step));
              sent += step;
              if (sent >= all.length) {
                clearInterval(timer);
                res.end();
              }
            }, 50);
          });
          return;
        }
        if (fault?.kind === 'cut-body') {
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => {
            const all = Buffer.concat(chunks);
            res.writeHead(up.statusCode ?? 502, { ...up.headers, 'content-length': String(all.length) });
            res.write(all.subarray(0, Math.floor(all.length / 2)));
            setTimeout(() => req.socket.destroy(), 10);
          });
          return;
        }
        if (fault?.kind === 'go-silent') {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.once('data', (c: Buffer) => {
            res.write(c);
            up.destroy();
          });
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  };

  // As a forward proxy (HTTP_PROXY), clients tunnel with CONNECT: splice the tunnel to the target.
  const onConnect = (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    const up = net.connect(Number(targetUrl.port), targetUrl.hostname, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  };
  let server = http.createServer(handler);
  const track = (s: http.Server) => {
    s.on('connect', onConnect);
    return s.on('connection', (sock: net.Socket) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
  };
  track(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;

  const closeServer = async (s: http.Server) => {
    for (const sock of sockets) sock.destroy();
    await new Promise<void>((r) => s.close(() => r()));
  };

  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    arm(fault, opts = {}) {
      armed.push({ fault, remaining: opts.count ?? 1, match: opts.match ?? (() => true) });
    },
    guideOnly(on) {
      stripExt = on;
    },
    async downFor(ms) {
      await closeServer(server);
      setTimeout(() => {
        server = http.createServer(handler);
        track(server);
        server.listen(port, '127.0.0.1');
      }, ms);
    },
    close: () => closeServer(server),
  };
}

export interface SlowLink {
  url: string;
  /** Bytes carried each way so far. */
  carried: { up: number; down: number };
  close(): Promise<void>;
}

/**
 * A slow, distant link on loopback: a TCP relay to `target` that carries at most `bytesPerSecond`
 * each way (shared by every connection, as one link is) and delivers each piece `latencyMs` after
 * it was sent. It reads from a side only while little of it is queued, so the sender feels the
 * link's pace as TCP backpressure, as on a real slow link.
 */
export async function startSlowLink(
  target: string,
  opts: { bytesPerSecond: number; latencyMs: number },
): Promise<SlowLink> {
  const t = new URL(target);
  const TICK_MS = 10;
  const QUEUE_BYTES = 8 * 1024;
  const carried = { up: 0, down: 0 };
  /** `data` empty: the sender ended its side. */
  type Piece = { data: Buffer; due: number; from: net.Socket; to: net.Socket };
  const lanes = { up: [] as Piece[], down: [] as Piece[] };
  const queued = new Map<net.Socket, number>();
  const sockets = new Set<net.Socket>();
  const budgetPerTick = Math.max(1, Math.floor((opts.bytesPerSecond * TICK_MS) / 1000));

  const relay = (from: net.Socket, to: net.Socket, lane: Piece[]) => {
    from.on('data', (data: Buffer) => {
      lane.push({ data, due: Date.now() + opts.latencyMs, from, to });
      const n = (queued.get(from) ?? 0) + data.length;
      queued.set(from, n);
      if (n > QUEUE_BYTES) from.pause();
    });
    from.on('end', () => lane.push({ data: Buffer.alloc(0), due: Date.now() + opts.latencyMs, from, to }));
  };

  const ticker = setInterval(() => {
    const now = Date.now();
    for (const dir of ['up', 'down'] as const) {
      const lane = lanes[dir];
      let budget = budgetPerTick;
      while (lane.length > 0 && budget > 0 && (lane[0] as Piece).due <= now) {
        const piece = lane[0] as Piece;
        if (piece.data.length === 0) {
          piece.to.end();
          lane.shift();
          continue;
        }
        const part = piece.data.subarray(0, budget);
        if (!piece.to.destroyed) piece.to.write(part);
        budget -= part.length;
        carried[dir] += part.length;
        piece.data = piece.data.subarray(part.length);
        if (piece.data.length === 0) lane.shift();
        const left = (queued.get(piece.from) ?? 0) - part.length;
        queued.set(piece.from, left);
        if (left <= QUEUE_BYTES && !piece.from.destroyed) piece.from.resume();
      }
    }
  }, TICK_MS);

  const server = net.createServer((client) => {
    const up = net.connect(Number(t.port), t.hostname);
    for (const [s, other] of [
      [client, up],
      [up, client],
    ] as const) {
      sockets.add(s);
      s.on('error', () => other.destroy());
      s.on('close', () => {
        sockets.delete(s);
        queued.delete(s);
        other.destroy();
      });
    }
    relay(client, up, lanes.up);
    relay(up, client, lanes.down);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    carried,
    close: async () => {
      clearInterval(ticker);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
