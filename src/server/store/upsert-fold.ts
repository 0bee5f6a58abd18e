/**
 * Folds the rows of one upsert chunk that repeat a key into one row each, in file order, so a
 * single set-based statement leaves the table exactly as upserting them one by one would.
 */
import type { SqlValue } from '../../resources/resource-types.js';

export interface IndexedRow {
  index: number;
  values: SqlValue[];
}

/**
 * One row per key. The first row of a key is kept whole (it is what an insert would write); each
 * later row overwrites the updatable fields it supplies (non-null), as its own upsert would, and
 * lends the key its index (job_index names the latest writer). Rows keep the order of their
 * key's last occurrence. `repeats` says whether any key came more than once.
 */
export function foldByKey(
  rows: readonly IndexedRow[],
  keyIdx: readonly number[],
  updatable: readonly number[],
): { rows: IndexedRow[]; repeats: boolean } {
  const byKey = new Map<string, IndexedRow>();
  let repeats = false;
  for (const row of rows) {
    const key = keyOf(row.values, keyIdx);
    const seen = byKey.get(key);
    if (!seen) {
      byKey.set(key, row);
      continue;
    }
    repeats = true;
    const values = seen.values.slice();
    for (const i of updatable)
      if (row.values[i] !== null && row.values[i] !== undefined) values[i] = row.values[i] as SqlValue;
    // Deleted and set again, so the map's order follows the key's last occurrence.
    byKey.delete(key);
    byKey.set(key, { index: row.index, values });
  }
  if (!repeats) return { rows: rows.slice(), repeats };
  return { rows: [...byKey.values()].sort((a, b) => a.index - b.index), repeats };
}

/** A key's values as one string; a number and its digits as text are different keys, as in SQL. */
function keyOf(values: readonly SqlValue[], keyIdx: readonly number[]): string {
  if (keyIdx.length === 1) {
    const v = values[keyIdx[0] as number];
    return typeof v === 'number' ? `n${v}` : `s${v}`;
  }
  return JSON.stringify(keyIdx.map((i) => values[i]));
}
