import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback load balancer: each request goes to the next live node. The body is buffered, so a
 * request a node never answered (it was killed) is sent to the next node, as a balancer's retry would.
 */
export async function roundRobin(live: () => string[]): Promise<{ url: string; close: () => Promise<void> }> {
  let next = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const attempt = (left: number) => {
        const nodes = live();
        const target = new URL(nodes[next++ % nodes.length] as string);
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
            upRes.pipe(res);
            upRes.on('error', () => res.destroy());
          },
        );
        up.on('error', () => {
          if (res.headersSent) res.destroy();
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
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
