import { request } from 'undici';
import { waitUntil } from './wait-until.js';

export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  text: string;
}

/** A plain HTTP call for tests: no retries, the body as text and as JSON when it parses. */
export async function call<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  opts: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  const body = opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  const res = await request(`${base}${path}`, {
    method: method as 'GET',
    body,
    headers: { 'content-type': 'application/json', ...opts.headers },
  });
  const text = await res.body.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  return { status: res.statusCode, headers: res.headers, body: parsed as T, text };
}

/** Polls a job's status until it is final (Job Complete, Failed or Aborted) and returns that status. */
export async function waitForFinal(
  base: string,
  jobId: string,
  timeoutMs = 20_000,
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  let last = '(no answer yet)';
  return waitUntil(
    () => `job ${jobId} to finish; last status: ${last}`,
    async () => {
      const res = await call(base, 'GET', `/api/jobs/${jobId}/status/`, { headers });
      last = res.text;
      return ['Job Complete', 'Failed', 'Aborted'].includes(String(res.body.state)) ? res.body : undefined;
    },
    { timeoutMs, intervalMs: 50 },
  );
}

export function tx(i: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    account_id: 1000 + (i % 50),
    amount: `${i}.25`,
    transaction_date: '2024-03-01',
    description: `t-${i}`,
    category: 'test',
    ...over,
  };
}
