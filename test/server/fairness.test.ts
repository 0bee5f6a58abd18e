import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTokens } from '../../src/server/auth/tokens.js';
import { startServer } from '../../src/server/start-server.js';
import { tx } from '../helpers/http.js';
import { tempDir } from '../helpers/temp.js';
import { waitUntil } from '../helpers/wait-until.js';

const ALICE = 'alice-token-0123456789abcdef';
const BOB = 'bob-token-0123456789abcdefgh';
const ROWS = 5000;
const BURST = 60;

async function post(
  url: string,
  token: string,
  first: number,
): Promise<{ status: number; retryAfter: string | null; jobId?: string }> {
  const res = await fetch(`${url}/api/transactions/bulk/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(Array.from({ length: ROWS }, (_, i) => tx(first + i))),
  });
  const body = (await res.json()) as { job_id?: string };
  return { status: res.status, retryAfter: res.headers.get('retry-after'), jobId: body.job_id };
}

async function stateOf(url: string, token: string, id: string): Promise<string> {
  return (
    (await (
      await fetch(`${url}/api/jobs/${id}/status/`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { state: string }
  ).state;
}

/** Bob's jobs, by id: the worker holds every other job while alice is held. */
const bobJobs = new Set<string>();

/** One job of `token`, from POST to Job Complete: its latency in ms. */
async function oneJob(url: string, token: string, first: number): Promise<{ ms: number; status: number; id: string }> {
  const t0 = performance.now();
  const res = await post(url, token, first);
  expect(res.status).toBe(202);
  const id = res.jobId as string;
  if (token === BOB) bobJobs.add(id);
  await waitUntil(`job ${id} complete`, async () => (await stateOf(url, token, id)) === 'Job Complete', {
    timeoutMs: 60_000,
    intervalMs: 5,
  });
  return { ms: performance.now() - t0, status: res.status, id };
}

describe('fair under load: admission and work shared per token', () => {
  it(
    "a burst from one token gets 429 + Retry-After past its share, and another token's upload is not queued behind it",
    { timeout: 120_000 },
    async () => {
      // Alice's jobs are held at their first chunk until her burst has been answered, so her queue
      // fills however fast this machine is (a fast server used to drain it as the burst arrived, and
      // no request was ever past her share); bob's run as they come.
      let holdAlice = true;
      const beforeChunk = async (job: { id: string }) => {
        await waitUntil("alice released, or a job known to be bob's", () => !holdAlice || bobJobs.has(job.id), {
          timeoutMs: 110_000,
          intervalMs: 5,
        });
      };
      const server = await startServer({
        port: 0,
        host: '127.0.0.1',
        database: path.join(tempDir(), 'fair.db'),
        quiet: true,
        tokens: parseTokens(`alice ${ALICE}\nbob ${BOB}`, 'test'),
        maxQueuedJobsPerToken: 16,
        beforeChunk,
      });
      try {
        const idle = await oneJob(server.url, BOB, 0);
        // The bounded burst: 60 jobs at once from alice.
        const burst = Promise.all(Array.from({ length: BURST }, (_, j) => post(server.url, ALICE, 100_000 + j * ROWS)));
        const queued = async () =>
          (
            (await (
              await fetch(`${server.url}/api/jobs/?state=Open`, { headers: { authorization: `Bearer ${ALICE}` } })
            ).json()) as { jobs: unknown[] }
          ).jobs.length;
        await waitUntil('alice has a queue', async () => (await queued()) >= 2, { timeoutMs: 60_000, intervalMs: 5 });
        const loaded = await oneJob(server.url, BOB, 10_000);
        const aliceWaiting = await queued();
        const answers = await burst;
        holdAlice = false;
        const refused = answers.filter((a) => a.status === 429);
        const accepted = answers.filter((a) => a.status === 202);
        // Past her share of the queue, alice is told to come back later; nothing else goes wrong.
        expect(refused.length).toBeGreaterThan(0);
        expect(refused.every((a) => a.retryAfter !== null && Number(a.retryAfter) > 0)).toBe(true);
        expect(accepted.length + refused.length).toBe(BURST);
        // Bob's job finished while alice's accepted jobs were still queued: it did not wait behind her burst.
        expect(aliceWaiting).toBeGreaterThan(0);
        expect(aliceWaiting).toBeLessThanOrEqual(16);
        const stillRunning = await Promise.all(
          accepted.map(async (a) => stateOf(server.url, ALICE, a.jobId as string)),
        );
        console.log(
          `fairness: bob's ${ROWS}-row job idle ${Math.round(idle.ms)} ms, during alice's burst of ${BURST} ${Math.round(loaded.ms)} ms (${(loaded.ms / idle.ms).toFixed(2)}x); alice ${accepted.length} accepted, ${refused.length} got 429; ${aliceWaiting} of hers still queued when bob's finished, ${stillRunning.filter((s) => s !== 'Job Complete').length} unfinished after the burst answered`,
        );
        await waitUntil(
          "alice's accepted jobs done",
          async () =>
            (await Promise.all(accepted.map(async (a) => stateOf(server.url, ALICE, a.jobId as string)))).every(
              (s) => s === 'Job Complete',
            ),
          { timeoutMs: 90_000, intervalMs: 200 },
        );
      } finally {
        holdAlice = false;
        await server.close();
      }
    },
  );
});
