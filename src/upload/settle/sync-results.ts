// A start answered with results instead of a job: a server that handled a small batch at once (the
// upstream's upsert of 50 items or fewer answers 200 with the stored records, one per item, or 207
// with `success`, `errors` and a `summary`). Its rows are settled only where the answer adds up to
// the batch; anything else is unconfirmed: the server may have stored them. Pure.

export type SyncVerdict =
  | { kind: 'settled'; stored: number; failed: { index: number; error: string }[] }
  | { kind: 'unconfirmed'; reason: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What a 2xx start answer without a job says about the batch's `rows`. */
export function judgeSyncResults(rows: number, status: number, body: unknown): SyncVerdict {
  const unconfirmed = (why: string): SyncVerdict => ({
    kind: 'unconfirmed',
    reason: `the server answered ${status} with no job_id and ${why}`,
  });
  if (status === 200 || status === 201) {
    // All or nothing: one stored record per item (a single record for a batch of one).
    const items = Array.isArray(body) ? body : isRecord(body) && rows === 1 ? [body] : null;
    if (!items) return unconfirmed('a body that is not a list of results');
    if (items.length !== rows) return unconfirmed(`${items.length} results for the ${rows} rows sent`);
    if (!items.every(isRecord)) return unconfirmed('results that are not records');
    return { kind: 'settled', stored: rows, failed: [] };
  }
  if (status === 207 && isRecord(body)) {
    const summary = isRecord(body.summary) ? body.summary : null;
    const ok = summary?.successful_items;
    const bad = summary?.failed_items;
    const errors = Array.isArray(body.errors) ? body.errors : [];
    if (typeof ok !== 'number' || typeof bad !== 'number' || ok + bad !== rows)
      return unconfirmed('a summary that does not add up to the batch');
    const failed: { index: number; error: string }[] = [];
    const seen = new Set<number>();
    for (const e of errors) {
      const index = isRecord(e) ? e.index : undefined;
      if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= rows || seen.has(index))
        return unconfirmed('errors that do not name rows of the batch');
      seen.add(index);
      failed.push({ index, error: typeof (e as { error?: unknown }).error === 'string' ? String(e.error) : 'failed' });
    }
    if (failed.length !== bad) return unconfirmed(`${failed.length} errors named for ${bad} failed items`);
    return { kind: 'settled', stored: ok, failed: failed.sort((a, b) => a.index - b.index) };
  }
  return unconfirmed('a body bulk cannot count');
}
