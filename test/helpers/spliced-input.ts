import { readFileSync, writeFileSync } from 'node:fs';
import { generateTransactions } from '../../bench/transactions-generator.mjs';

export interface SplicedInput {
  /** Generated rows in the file (the invariant checker's `rows`). */
  rows: number;
  /** The line of generated row i, after the splicing. */
  lineOf: (i: number) => number;
  /** Lines the spliced-in rows start on, in order. */
  addedLines: number[];
}

/**
 * A generated transactions file (NDJSON or JSON array) with extra rows spliced in before given
 * generated rows: each extra row is one line of text. Returns where every row ended up, so a
 * test can end with the invariant checker.
 */
export async function splicedTransactions(
  file: string,
  opts: {
    rows: number;
    seed: number;
    invalidShare: number;
    format: 'ndjson' | 'json';
    insert: { before: number; text: string }[];
  },
): Promise<SplicedInput> {
  await generateTransactions({
    rows: opts.rows,
    seed: opts.seed,
    invalidShare: opts.invalidShare,
    format: opts.format,
    out: file,
  });
  const lines = readFileSync(file, 'utf8').split('\n');
  // JSON arrays open with "[" on line 1; each generated row is on a line of its own after it.
  const first = opts.format === 'json' ? 1 : 0;
  const inserts = [...opts.insert].sort((a, b) => a.before - b.before);
  const out: string[] = lines.slice(0, first);
  const lineOfRow: number[] = [];
  const addedLines: number[] = [];
  let k = 0;
  for (let i = 0; i < opts.rows; i++) {
    while (k < inserts.length && (inserts[k] as { before: number }).before === i) {
      const text = (inserts[k] as { text: string }).text;
      out.push(opts.format === 'json' ? `  ${text},` : text);
      addedLines.push(out.length);
      k++;
    }
    out.push(lines[first + i] as string);
    lineOfRow.push(out.length);
  }
  out.push(...lines.slice(first + opts.rows));
  writeFileSync(file, out.join('\n'));
  return { rows: opts.rows, lineOf: (i) => lineOfRow[i] as number, addedLines };
}
