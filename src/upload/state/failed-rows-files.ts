/**
 * The run's failed-rows files, one per input: where rejected rows are written and what the checkpoint records of them.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BulkError, describeFsError } from '../../errors/bulk-error.js';
import type { InputFormat } from '../../input/input-item.js';
import type { FailedRowsState } from './checkpoint.js';
import { FailedRowsWriter, type CsvStyle } from './failed-rows-writer.js';
import { failedRowsPath } from '../plan/output-paths.js';
import type { MappedRowError } from '../upload-events.js';

/** A failed row as the run has it: the record as sent (or, `asRead`, as read, before any value conversion), or text. */
export interface FailedSource {
  record?: Record<string, unknown>;
  raw?: string;
  asRead?: boolean;
}

interface FileEntry {
  input: string;
  format: InputFormat;
  columns: string[] | null;
  /** A record as sent → the row under the input's own column names. */
  restore: (record: Record<string, unknown>) => Record<string, unknown>;
  /** A record as sent → its values as the file writes them (a value conversion undone). */
  unconvert?: (record: Record<string, unknown>) => Record<string, unknown>;
  style?: CsvStyle;
  writer: FailedRowsWriter | null;
  state: FailedRowsState;
}

/**
 * One failed-rows file per input, created at the first failure (a clean run leaves no empty files)
 * and never over an earlier one. On resume it continues the run's own file from its checkpoint.
 */
export class FailedRowsFiles {
  private readonly files = new Map<string, FileEntry>();
  /** For inputs that are failed-rows files: each row's line in the original input, by its line here. */
  private readonly origins = new Map<string, Map<number, number>>();
  /** The first write that failed: from then on nothing more is written or recorded. */
  private broken: Error | null = null;

  /**
   * `claimsFile` (in the run's directory) names each input's file the moment it is chosen, before
   * it is created. The checkpoint names it only at its next save: a kill -9 in between left a
   * file no checkpoint knew, and the resume started a second one beside it.
   */
  constructor(
    private readonly dir: string | undefined,
    private readonly resumed: Record<string, FailedRowsState> = {},
    private readonly claimsFile?: string,
  ) {}

  describe(displayName: string, format: InputFormat, input: string): void {
    if (this.files.has(displayName)) return;
    const state = { ...(this.resumed[displayName] ?? { path: null, bytes: 0, rejected_through_line: 0, rejected: 0 }) };
    if (!state.path) {
      // Claimed by the run but unknown to its checkpoint: nothing in it counts yet, so it starts over.
      const claimed = this.claims()[displayName];
      if (claimed && existsSync(claimed)) Object.assign(state, { path: claimed, bytes: 0 });
    }
    this.files.set(displayName, { input, format, columns: null, restore: (r) => r, writer: null, state });
  }

  private claims(): Record<string, string> {
    if (!this.claimsFile) return {};
    try {
      return JSON.parse(readFileSync(this.claimsFile, 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  }

  private claim(displayName: string, file: string): void {
    if (!this.claimsFile) return;
    const claims = { ...this.claims(), [displayName]: file };
    mkdirSync(path.dirname(this.claimsFile), { recursive: true });
    const temp = `${this.claimsFile}.${process.pid}.tmp`;
    try {
      writeFileSync(temp, JSON.stringify(claims));
      renameSync(temp, this.claimsFile);
    } catch (err) {
      rmSync(temp, { force: true });
      throw err;
    }
  }

  /** The input's columns, and how a record sent is written back under them (column mapping). */
  setColumns(
    displayName: string,
    columns: string[] | null,
    restore?: (record: Record<string, unknown>) => Record<string, unknown>,
    style?: CsvStyle,
    unconvert?: (record: Record<string, unknown>) => Record<string, unknown>,
  ): void {
    const entry = this.files.get(displayName);
    if (entry && !entry.columns && columns) entry.columns = columns;
    if (entry && restore) entry.restore = restore;
    if (entry && style) entry.style = style;
    if (entry && unconvert) entry.unconvert = unconvert;
  }

  /** A row of a failed-rows file: `line` here came from `sourceLine` of the original input. */
  noteOrigin(displayName: string, line: number, sourceLine: number): void {
    let lines = this.origins.get(displayName);
    if (!lines) this.origins.set(displayName, (lines = new Map()));
    lines.set(line, sourceLine);
  }

  /** The error with where its row first came from, when the input is a failed-rows file. */
  withOrigin(error: MappedRowError): MappedRowError {
    const line = this.origins.get(error.file)?.get(error.line);
    return line === undefined ? error : { ...error, origin: `${originalName(error.file)}:${line}` };
  }

  /** A parse failure: counted in the checkpoint so a resume does not write it twice. */
  noteRejected(displayName: string, line: number): void {
    const entry = this.files.get(displayName);
    if (!entry) return;
    entry.state.rejected++;
    entry.state.rejected_through_line = Math.max(entry.state.rejected_through_line, line);
  }

  /**
   * Writes one failed row. Throws an `output` BulkError when the file cannot be written; after that
   * every write and every checkpointState() throws it too, so no checkpoint ever records rows that
   * are not on disk, and the last good checkpoint stays what a resume starts from.
   */
  write(error: MappedRowError, sent: FailedSource): void {
    this.guard(() => this.writeRow(error, sent));
  }

  /** Runs a write; its first failure breaks the sink for good and closes every file as it is. */
  private guard<T>(write: () => T): T {
    if (this.broken) throw this.broken;
    try {
      return write();
    } catch (err) {
      this.broken =
        err instanceof BulkError
          ? err
          : new BulkError(
              'output',
              `cannot record the run's failed-rows file in ${this.claimsFile ?? 'the run directory'}: ` +
                `${describeFsError(err)}`,
            );
      for (const entry of this.files.values()) entry.writer?.abandon();
      throw this.broken;
    }
  }

  /** The first failed write, if any. */
  failure(): Error | null {
    return this.broken;
  }

  private writeRow(error: MappedRowError, sent: FailedSource): void {
    const entry = this.files.get(error.file);
    if (!entry) return;
    const values = sent.record && !sent.asRead && entry.unconvert ? entry.unconvert(sent.record) : sent.record;
    const source = values ? { record: entry.restore(values) } : sent;
    if (!entry.writer) {
      const format = entry.format === 'csv' ? 'csv' : 'ndjson';
      const columns = entry.columns ?? (source.record ? Object.keys(source.record) : []);
      if (entry.state.path) {
        entry.writer = new FailedRowsWriter(entry.state.path, format, columns, entry.state.bytes, entry.style);
      } else {
        const file = failedRowsPath(entry.input, entry.format, this.dir);
        this.claim(error.file, file);
        entry.writer = new FailedRowsWriter(file, format, columns, undefined, entry.style);
        entry.state.path = entry.writer.path;
      }
    }
    entry.writer.write({
      // The next failed-rows file keeps the original line, through any number of re-uploads.
      line: this.origins.get(error.file)?.get(error.line) ?? error.line,
      record: source.record,
      raw: source.raw,
      reason: error.reason,
      field: error.field,
    });
  }

  /** Flushes and fsyncs every file; what the checkpoint about to be saved may rely on. */
  checkpointState(): Record<string, FailedRowsState> {
    return this.guard(() => {
      const out: Record<string, FailedRowsState> = {};
      for (const [name, entry] of this.files) {
        if (entry.writer) entry.state.bytes = entry.writer.flush(true);
        out[name] = { ...entry.state };
      }
      return out;
    });
  }

  paths(): string[] {
    return [...this.files.values()].map((e) => e.state.path).filter((p): p is string => Boolean(p));
  }

  async close(): Promise<void> {
    if (this.broken) return;
    this.guard(() => {
      for (const entry of this.files.values()) entry.writer?.close();
    });
  }
}

/** The input a failed-rows file came from, by bulk's naming: `orders.failed-2.csv` → `orders.csv`. */
export function originalName(failedFile: string): string {
  return failedFile.replace(/\.failed(-\d+)?(\.[^./\\]+)$/, '$2');
}
