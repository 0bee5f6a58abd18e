import { request } from 'undici';

export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  text: string;
}

/** A plain HTTP call for tests: no retries, the body as text and as JSON when it parses. */
export async function call<T = Record<string, unknown>>(base: string, method: string, path: string, opts: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}): Promise<JsonResponse<T>> {
  const body = opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  const res = await request(`${base}${path}`, { method: method as 'GET', body, headers: { 'content-type': 'application/json', ...opts.headers } });
  const text = await res.body.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  return { status: res.statusCode, headers: res.headers, body: parsed as T, text };
}

export async function waitForFinal(base: string, jobId: string, timeoutMs = 20_000, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await call(base, 'GET', `/api/jobs/${jobId}/status/`, { headers });
    if (['Job Complete', 'Failed', 'Aborted'].includes(String(res.body.state))) return res.body;
    if (Date.now() > until) throw new Error(`job ${jobId} did not finish: ${res.text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function tx(i: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return { account_id: 1000 + (i % 50), amount: `${i}.25`, transaction_date: '2024-03-01', description: `t-${i}`, category: 'test', ...over };
}
