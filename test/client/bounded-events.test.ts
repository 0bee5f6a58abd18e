// Server events read within bounds and in order: an event line over the answer size limit ends the
// stream without holding it (the caller polls), and a final state then a later event arriving in
// one read end the stream at the final state, as they would in two reads.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { JobApiClient } from '../../src/client/job-api-client.js';
import type { StatusResponse } from '../../src/protocol/index.js';

let raw: http.Server | null = null;
afterEach(async () => {
  raw?.closeAllConnections();
  await new Promise((r) => (raw ? raw.close(r) : r(null)));
  raw = null;
});

const status = (state: string) => ({
  job_id: 'j',
  state,
  total_items: 1,
  processed_items: state === 'Job Complete' ? 1 : 0,
  success_count: state === 'Job Complete' ? 1 : 0,
  error_count: 0,
  errors: null,
});

async function serve(write: (res: http.ServerResponse) => void): Promise<{ url: string; closed: Promise<number> }> {
  let sent = 0;
  let onClosed: (n: number) => void = () => {};
  const closed = new Promise<number>((r) => (onClosed = r));
  raw = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const origWrite = res.write.bind(res);
    res.write = ((chunk: string) => ((sent += chunk.length), origWrite(chunk))) as typeof res.write;
    res.on('close', () => onClosed(sent));
    write(res);
  });
  await new Promise<void>((r) => raw!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(raw!.address() as AddressInfo).port}`, closed };
}

describe('server events, bounded and in order', () => {
  it('an event line that never ends past the size limit: the stream is given up (the caller polls), not held', async () => {
    const { url, closed } = await serve((res) => {
      res.write('data: {"state": "In Progress", "pad": "');
      const chunk = 'x'.repeat(64 * 1024);
      const pump = () => {
        while (!res.destroyed) if (!res.write(chunk)) return void res.once('drain', pump);
      };
      pump();
    });
    const client = new JobApiClient({ baseUrl: url, maxAnswerBytes: 256 * 1024 });
    const ref = { jobId: 'j', statusUrl: `${url}/s/`, aggregatesUrl: `${url}/a/`, eventsUrl: `${url}/e/` };
    expect(await client.followEvents(ref, () => undefined)).toBeNull();
    // The server stopped being read soon after the limit: what it wrote is the limit plus what buffers hold.
    expect(await closed).toBeLessThan(64 * 1024 * 1024);
    await client.close();
  });

  it('Job Complete then In Progress in one read: the final state ends the stream, the later event is not a new state', async () => {
    const { url } = await serve((res) => {
      res.write(
        `data: ${JSON.stringify(status('In Progress'))}\n\n` +
          `data: ${JSON.stringify(status('Job Complete'))}\n\n` +
          `data: ${JSON.stringify(status('In Progress'))}\n\n`,
      );
    });
    const client = new JobApiClient({ baseUrl: url });
    const ref = { jobId: 'j', statusUrl: `${url}/s/`, aggregatesUrl: `${url}/a/`, eventsUrl: `${url}/e/` };
    const seen: string[] = [];
    const final = await client.followEvents(ref, (s: StatusResponse) => seen.push(s.state));
    expect(final?.state).toBe('Job Complete');
    expect(seen).toEqual(['In Progress', 'Job Complete']);
    await client.close();
  });
});
