/**
 * Rejected rows grouped by field and reason, for the end of a run: how many of each, and the first
 * few lines of each group (all of them are in the failed-rows file). Memory is bounded: past
 * MAX_GROUPS distinct reasons, the rest are counted together.
 */
import type { MappedRowError } from '../upload/upload-events.js';

export const LINES_PER_GROUP = 3;
export const MAX_GROUPS = 200;
/** Groups printed at the end; the rest are summed on one line. */
export const GROUPS_SHOWN = 8;

export interface ErrorGroup {
  field: string | null;
  reason: string;
  count: number;
  /** The first few rows, `file:line`. */
  first: { file: string; line: number; origin?: string }[];
}

export class ErrorGroups {
  private readonly groups = new Map<string, ErrorGroup>();
  private others = 0;
  total = 0;

  add(e: MappedRowError): void {
    this.total++;
    const key = `${e.field ?? ''}\u0000${e.reason}`;
    let g = this.groups.get(key);
    if (!g) {
      if (this.groups.size >= MAX_GROUPS) {
        this.others++;
        return;
      }
      g = { field: e.field ?? null, reason: e.reason, count: 0, first: [] };
      this.groups.set(key, g);
    }
    g.count++;
    if (g.first.length < LINES_PER_GROUP) g.first.push({ file: e.file, line: e.line, origin: e.origin });
  }

  /** Largest group first. */
  list(): ErrorGroup[] {
    return [...this.groups.values()].sort((a, b) => b.count - a.count);
  }

  /** Rows counted in no group (past MAX_GROUPS distinct reasons). */
  get ungrouped(): number {
    return this.others;
  }

  /**
   * The rows that failed as duplicates of stored records: how many, and the fields of their key
   * ('' when the groups name none or several); null when none did.
   */
  duplicates(): { count: number; key: string } | null {
    const dups = this.list().filter((g) => /duplicate/i.test(g.reason));
    if (dups.length === 0) return null;
    const fields = new Set(dups.map((g) => g.field).filter((f): f is string => Boolean(f)));
    return { count: dups.reduce((n, g) => n + g.count, 0), key: fields.size === 1 ? ([...fields][0] as string) : '' };
  }
}

/**
 * `2,000 × amount: must be a decimal number` then `transactions.csv:2417, 2600, 2700, …`: one
 * group per entry, lines not yet fitted to a width. `n` formats counts.
 */
export function errorGroupLines(groups: ErrorGroups, n: (x: number) => string): { head: string; lines: string[] }[] {
  const list = groups.list();
  const out = list.slice(0, GROUPS_SHOWN).map((g) => {
    const where = g.first
      .map((f, i) =>
        f.origin
          ? `${f.origin} (via ${f.file}:${f.line})`
          : i > 0 && f.file === g.first[i - 1]?.file
            ? String(f.line)
            : `${f.file}:${f.line}`,
      )
      .join(', ');
    const more = g.count - g.first.length;
    return {
      head: `${n(g.count)} × ${g.field ? `${g.field}: ` : ''}${g.reason}`,
      lines: [`${where}${more > 0 ? `, and ${n(more)} more` : ''}`],
    };
  });
  const rest = list.slice(GROUPS_SHOWN).reduce((s, g) => s + g.count, 0) + groups.ungrouped;
  if (rest > 0) out.push({ head: `${n(rest)} × other reasons`, lines: [] });
  return out;
}
