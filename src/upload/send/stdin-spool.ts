// Keeps the rows a run reads from stdin in its run directory, so a resume can send them again:
// stdin cannot be read twice, and without the spool a stop lost every row read but not confirmed.
import { closeSync, createReadStream, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../../input/input-error.js';
import type { InputFormat, InputItem } from '../../input/input-item.js';
import {
  openInput,
  openStream,
  type InputSource,
  type OpenInputOptions,
  type TextLayout,
} from '../../input/open-input.js';
import type { BatcherEnd } from './batcher.js';
import type { CheckpointEntry, EntryOutcome } from '../state/checkpoint.js';
import type { RunPlan } from '../plan/run-plan.js';
import type { CsvDialect } from '../../input/csv-dialect.js';

/**
 * The spool is NDJSON, one line per item the reader gave, in order: `{"line":n,"record":{…}}` or
 * `{"line":n,"rejected":{…}}`, a `{"columns":[…]}` line once a CSV header is known, and `{"end":true}`
 * once stdin ended. Each slice of items is written (one synchronous write) before the run sees it,
 * so every row a job could hold is in the spool; a kill can only tear the last line, which the
 * resume drops: no row on it had been seen.
 */
export const STDIN_SPOOL_FILE = 'stdin.spool.ndjson';

type SpoolLine =
  | { columns: string[]; delimiter?: string; layout?: TextLayout }
  | { line: number; record: Record<string, unknown> }
  | { line: number; rejected: { raw: string; reason: string; field?: string; record?: Record<string, unknown> } }
  | { end: true };

export interface SpooledInput {
  source: InputSource;
  /** Items (rows and rejected rows) the spool holds. */
  items(): number;
  /** The last line of stdin whose row is in the spool (0: none yet). */
  lastLine(): number;
  /** Whether the spool holds stdin to its end. */
  complete(): boolean;
}

/** Wraps stdin's source so each slice of items reaches the spool before it reaches the run. */
export function spoolStdin(source: InputSource, spoolPath: string): SpooledInput {
  let last = 0;
  let count = 0;
  let done = false;
  mkdirSync(path.dirname(spoolPath), { recursive: true });
  const fd = openSync(spoolPath, 'w');
  let columnsWritten = false;
  const write = (lines: SpoolLine[]) => {
    try {
      writeSync(fd, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new InputError(
        'stdin',
        `could not keep a copy of the rows read in ${spoolPath} (${why}): the rest of stdin was not read`,
      );
    }
  };
  async function* batches(maxRows: number): AsyncGenerator<InputItem[]> {
    try {
      for await (const items of source.batches(maxRows)) {
        const lines: SpoolLine[] = [];
        const columns = source.columns();
        if (!columnsWritten && columns) {
          lines.push({ columns, delimiter: source.delimiter(), layout: source.layout() });
          columnsWritten = true;
        }
        for (const item of items)
          lines.push(
            item.kind === 'row'
              ? { line: item.line, record: item.record }
              : {
                  line: item.line,
                  rejected: { raw: item.raw, reason: item.reason, field: item.field, record: item.record },
                },
          );
        write(lines);
        count += items.length;
        last = items.length > 0 ? (items[items.length - 1] as InputItem).line : last;
        yield items;
      }
      write([{ end: true }]);
      done = true;
    } finally {
      closeSync(fd);
    }
  }
  return { source: { ...source, batches }, items: () => count, lastLine: () => last, complete: () => done };
}

/**
 * stdin as an earlier run kept it: the same items on the same lines, read from the spool. Where
 * the spool has no end mark, the earlier run stopped before stdin ended: `complete()` stays false
 * and `lastLine()` says where the rows in hand end.
 */
export function readStdinSpool(spoolPath: string, format: InputFormat): SpooledInput {
  const file = createReadStream(spoolPath, { highWaterMark: 64 * 1024 });
  const lines = openStream(file, {
    format: 'ndjson',
    name: spoolPath,
    sniffed: true,
    limits: { maxRecordChars: Number.MAX_SAFE_INTEGER, maxDepth: 1000 },
  });
  let columns: string[] | null = null;
  let delimiter: string | undefined;
  let layout: TextLayout | undefined;
  let last = 0;
  let count = 0;
  let done = false;
  async function* batches(maxRows: number): AsyncGenerator<InputItem[]> {
    for await (const slice of lines.batches(maxRows)) {
      const items: InputItem[] = [];
      for (const l of slice) {
        // Only a line torn by a kill fails to parse: nothing on it was ever seen by a job.
        if (l.kind !== 'row') break;
        const entry = l.record as SpoolLine;
        if ('columns' in entry) ({ columns, delimiter, layout } = entry);
        else if ('end' in entry) done = true;
        else if ('record' in entry) items.push({ kind: 'row', line: entry.line, record: entry.record });
        else items.push({ kind: 'rejected', line: entry.line, ...entry.rejected });
        if ('line' in entry) last = entry.line;
      }
      count += items.length;
      if (items.length > 0) yield items;
    }
  }
  const source: InputSource = {
    ...lines,
    file: '-',
    displayName: 'stdin',
    format,
    columns: () => columns,
    delimiter: () => delimiter,
    layout: () => layout ?? lines.layout(),
    batches,
  };
  return { source, items: () => count, lastLine: () => last, complete: () => done };
}

/** One input of a run: a file, or stdin (read and spooled, or in a resume read back from the spool). */
export async function openRunInput(
  file: string,
  plan: Pick<RunPlan, 'format' | 'encoding' | 'limits'>,
  dialect: CsvDialect | undefined,
  stdinSpool: { path: string; resume: boolean } | undefined,
  onNotice?: (text: string) => void,
): Promise<{ opened: InputSource; spool: SpooledInput | null }> {
  const how: OpenInputOptions = {
    format: plan.format,
    encoding: plan.encoding,
    limits: plan.limits,
    dialect,
    onNotice,
  };
  const spool =
    file === '-' && stdinSpool
      ? stdinSpool.resume
        ? readStdinSpool(stdinSpool.path, how.format ?? 'ndjson')
        : spoolStdin(await openInput('-', how), stdinSpool.path)
      : null;
  return { opened: spool?.source ?? (await openInput(file, how)), spool };
}

export interface InputEnd extends BatcherEnd {
  /** Items in the spool the run never reached (it stopped mid-slice): read, and unprocessed. */
  keptUnread: number;
  /** Why reading stopped short of the end: the input's own error, or a resume's spool that ends early. */
  stopMessage: string | null;
}

/**
 * How an input's reading ended, with stdin's spool taken into account: the rows in it are read
 * (the resume sends them), and only what follows the spool was not read.
 */
export function withStdinSpool(end: BatcherEnd, spool: SpooledInput | null): InputEnd {
  const plain = { ...end, keptUnread: 0, stopMessage: end.inputError?.message ?? null };
  if (!spool || end.inputError) return plain;
  const keptUnread = spool.items() - end.reached;
  if (spool.complete()) return { ...plain, keptUnread };
  const from = spool.lastLine() + 1;
  if (end.notReadFrom !== null) return { ...plain, keptUnread, notReadFrom: from };
  return {
    ...plain,
    keptUnread,
    notReadFrom: from,
    stopMessage:
      `stdin from line ${from} on was never read (the run that read ` +
      `it stopped there): send those rows as a new upload`,
  };
}

/**
 * Which lines of stdin hold rows that were read but not confirmed (stored or failed), from the
 * run's checkpoint: every line read that no finished job covers. `readThrough`: the last line read,
 * or null when stdin was read to its end.
 */
export function unconfirmedStdinLines(entries: CheckpointEntry[], readThrough: number | null): string {
  const settled = entries
    .filter((e) => e.file === 'stdin' && e.state === 'finished' && e.outcome && e.outcome.processed_through_line > 0)
    .map((e) => [e.first_line, (e.outcome as EntryOutcome).processed_through_line] as const)
    .sort((a, b) => a[0] - b[0]);
  const gaps: string[] = [];
  let next = 1;
  for (const [from, to] of settled) {
    if (from > next) gaps.push(from - 1 > next ? `${next}-${from - 1}` : `${next}`);
    next = Math.max(next, to + 1);
  }
  if (readThrough === null) gaps.push(`${next} to the end`);
  else if (readThrough >= next) gaps.push(readThrough > next ? `${next}-${readThrough}` : `${next}`);
  return gaps.join(', ');
}
