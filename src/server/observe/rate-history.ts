/**
 * Rows processed per 5-second bucket over the last five minutes, per token: what the jobs page
 * draws as its throughput chart, kept by the server so a reload does not empty it. In memory and
 * per node (a node counts the chunks it ran); bounded: 60 buckets per token.
 */

export const BUCKET_MS = 5_000;
export const BUCKETS = 60;

export class RateHistory {
  private readonly owners = new Map<string, { at: number; rows: number }[]>();

  note(owner: string, rows: number, nowMs = Date.now()): void {
    if (!(rows > 0)) return;
    const at = nowMs - (nowMs % BUCKET_MS);
    let list = this.owners.get(owner);
    if (!list) this.owners.set(owner, (list = []));
    const last = list.at(-1);
    if (last && last.at === at) last.rows += rows;
    else list.push({ at, rows });
    while (list.length > 0 && (list[0]?.at ?? 0) <= at - BUCKET_MS * BUCKETS) list.shift();
  }

  /** Rows per bucket, oldest first, the last bucket the current one. */
  series(owner: string, nowMs = Date.now()): number[] {
    const end = nowMs - (nowMs % BUCKET_MS);
    const list = this.owners.get(owner) ?? [];
    const out: number[] = [];
    for (let i = BUCKETS - 1; i >= 0; i--) out.push(list.find((b) => b.at === end - i * BUCKET_MS)?.rows ?? 0);
    return out;
  }
}
