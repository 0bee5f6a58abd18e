import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RoundRobinOptions {
  /**
   * When a node dies while its answer is streaming (an event stream), keep the client's side open
   * and silent, as a plain TCP balancer does: no FIN, no reset, the client hears nothing more.
   * Without it the client's connection is cut when the node's is.
   */
  holdClientOpen?: boolean;
}

/**
 * A loopback load balancer: each request goes to the next live node. The body is buffered, so a
 * request a node never answered (it was killed) is sent to the next node, as a balancer's retry would.
 */
export async function roundRobin(
  live: () => string[],
  opts: RoundRobinOptions = {},
): Promise<{ url: string; close: () => Promise<void>; held: () => number; streaming: (node: string) => number }> {
  let next = 0;
  let held = 0;
  const streaming = new Map<string, number>();
  const count = (node: string, by: number) => streaming.set(node, (streaming.get(node) ?? 0) + by);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let gone = false;
      // The node went away mid-answer: cut the client's side too, or leave it hanging in silence.
      const upstreamLost = () => {
        if (gone) return;
        gone = true;
        if (opts.holdClientOpen) held++;
        else res.destroy();
      };
      const attempt = (left: number) => {
        const nodes = live();
        const node = nodes[next++ % nodes.length] as string;
        const target = new URL(node);
        const up = http.request(
          {
            host: target.hostname,
            port: target.port,
            method: req.method,
            path: req.url,
            headers: { ...req.headers, host: target.host },
          },
          (upRes) => {
            res.writeHead(upRes.statusCode ?? 502, upRes.headers);
            count(node, 1);
            upRes.once('close', () => count(node, -1));
            upRes.pipe(res);
            upRes.on('error', upstreamLost);
            upRes.on('close', () => {
              if (!upRes.complete) upstreamLost();
            });
          },
        );
        up.on('error', () => {
          if (res.headersSent) upstreamLost();
          else if (left > 0) setTimeout(() => attempt(left - 1), 50);
          else res.writeHead(502).end();
        });
        up.end(body);
      };
      attempt(10);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Answers whose node died while the client's side was kept open. */
    held: () => held,
    /** Answers from this node (by its URL) that have begun and not ended: its open event streams, mostly. */
    streaming: (node: string) => streaming.get(node) ?? 0,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
