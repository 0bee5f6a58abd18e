import { readFileSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import { descriptionOf, isInvalidRow } from '../../bench/transactions-generator.mjs';

export interface InvariantInput {
  /** Rows in the generated file, with the seed and invalid share that made it. */
  rows: number;
  seed: number;
  invalidShare: number;
  dbPath: string;
  /** Failed-rows files the runs wrote (CSV, or NDJSON for JSON inputs). */
  failedRowsFiles: string[];
  /** The input line of generated row i. @default i + 2 (a CSV file with its header on line 1) */
  lineOf?: (i: number) => number;
  /** Lines of rows put into the file beside the generated ones, each of which must fail once. */
  addedFailedLines?: number[];
  /** How the CSV failed-rows files are written (they follow the input's dialect). @default commas, a header first */
  failedRowsCsv?: { delimiter?: string; from_line?: number; comment?: string };
  /**
   * Rows the server failed without saying which (its errors as strings or null): an invalid row may
   * then be missing from the failed-rows files, but never stored, and the result still counts it.
   */
  unnamedFailures?: number;
  /** The final --json result, when there is one. */
  result?: {
    counts: { read: number; stored: number; failed: number; unprocessed: number; unconfirmed?: number };
    exit_code: number;
  };
}

/**
 * The nothing-lost invariant of shared/faults.md, by row identity: every generated row is stored
 * exactly once (valid rows) or listed once in a failed-rows file with its line (invalid rows), and
 * the counts of the result agree. Throws with the first rows that break it.
 */
export function checkInvariant(input: InvariantInput): { stored: number; failed: number } {
  const db = new Database(input.dbPath, { readonly: true });
  const counts = new Map<string, number>();
  for (const r of db
    .prepare("SELECT description FROM transactions WHERE description LIKE 'Invoice %'")
    .iterate() as Iterable<{ description: string }>) {
    counts.set(r.description, (counts.get(r.description) ?? 0) + 1);
  }
  db.close();
  const failedLines = new Map<number, number>();
  for (const file of input.failedRowsFiles) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const rows = file.endsWith('.ndjson')
      ? text
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as Record<string, unknown>)
      : (parse(text, { columns: true, ...input.failedRowsCsv }) as Record<string, string>[]);
    for (const r of rows) failedLines.set(Number(r._source_line), (failedLines.get(Number(r._source_line)) ?? 0) + 1);
  }
  const lineOf = input.lineOf ?? ((i: number) => i + 2);
  const added = input.addedFailedLines ?? [];
  const problems: string[] = [];
  let stored = 0;
  let failed = 0;
  let unnamed = 0;
  for (let i = 0; i < input.rows; i++) {
    const line = lineOf(i); // generated rows have no embedded newlines
    const times = counts.get(descriptionOf(i)) ?? 0;
    const listed = failedLines.get(line) ?? 0;
    if (isInvalidRow(i, input.seed, input.invalidShare)) {
      if (times !== 0) problems.push(`row ${i} (line ${line}) is invalid but stored ${times} times`);
      if (listed > 1 || (listed === 0 && !input.unnamedFailures))
        problems.push(`row ${i} (line ${line}) is invalid and listed ${listed} times in failed rows`);
      if (listed === 0) unnamed++;
      failed++;
    } else {
      if (times !== 1) problems.push(`row ${i} (line ${line}) stored ${times} times`);
      if (listed !== 0) problems.push(`row ${i} (line ${line}) is valid but listed as failed`);
      stored++;
    }
    if (problems.length > 10) break;
  }
  for (const line of added) {
    const listed = failedLines.get(line) ?? 0;
    if (listed !== 1) problems.push(`added row on line ${line} is listed ${listed} times in failed rows`);
    failed++;
  }
  if (input.unnamedFailures !== undefined && unnamed !== input.unnamedFailures)
    problems.push(
      `${unnamed} invalid rows are not in a failed-rows file, expected ${input.unnamedFailures} failed without their rows named`,
    );
  if (input.result) {
    const c = input.result.counts;
    if (c.read !== input.rows + added.length)
      problems.push(`result says ${c.read} read, the file has ${input.rows + added.length}`);
    if (c.stored !== stored) problems.push(`result says ${c.stored} stored, the store has ${stored}`);
    if (c.failed !== failed) problems.push(`result says ${c.failed} failed, the failed-rows files list ${failed}`);
    if (c.unprocessed !== 0) problems.push(`result says ${c.unprocessed} unprocessed after the run converged`);
    // Four outcomes: a converged run has nothing left whose fate is unknown.
    if ((c.unconfirmed ?? 0) !== 0) problems.push(`result says ${c.unconfirmed} unconfirmed after the run converged`);
    if (c.read !== c.stored + c.failed + c.unprocessed + (c.unconfirmed ?? 0))
      problems.push(`result's counts do not add up: ${JSON.stringify(c)}`);
    const expectedExit = failed > 0 ? 1 : 0;
    if (input.result.exit_code !== expectedExit)
      problems.push(`exit code ${input.result.exit_code}, expected ${expectedExit}`);
  }
  if (problems.length) throw new Error(`nothing-lost invariant broken:\n  ${problems.join('\n  ')}`);
  return { stored, failed };
}
