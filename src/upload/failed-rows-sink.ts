import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { InputFormat } from '../input/input-item.js';
import type { FailedRowsState } from './checkpoint.js';
import { FailedRowsWriter, type CsvStyle } from './failed-rows-writer.js';
import { failedRowsPath } from './output-paths.js';
import type { MappedRowError } from './upload-events.js';

interface FileEntry {
  input: string;
  format: InputFormat;
  columns: string[] | null;
  /** A record as sent → the row under the input's own column names. */
  restore: (record: Record<string, unknown>) => Record<string, unknown>;
  style?: CsvStyle;
  writer: FailedRowsWriter | null;
  state: FailedRowsState;
}

/**
 * One failed-rows file per input, created at the first failure (a clean run leaves no empty files)
 * and never over an earlier one. On resume it continues the run's own file from its checkpoint.
 */
export class FailedRowsSink {
  private readonly files = new Map<string, FileEntry>();

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
    writeFileSync(temp, JSON.stringify(claims));
    renameSync(temp, this.claimsFile);
  }

  /** The input's columns, and how a record sent is written back under them (column mapping). */
  setColumns(displayName: string, columns: string[] | null, restore?: (record: Record<string, unknown>) => Record<string, unknown>, style?: CsvStyle): void {
    const entry = this.files.get(displayName);
    if (entry && !entry.columns && columns) entry.columns = columns;
    if (entry && restore) entry.restore = restore;
    if (entry && style) entry.style = style;
  }

  /** A parse failure: counted in the checkpoint so a resume does not write it twice. */
  noteRejected(displayName: string, line: number): void {
    const entry = this.files.get(displayName);
    if (!entry) return;
    entry.state.rejected++;
    entry.state.rejected_through_line = Math.max(entry.state.rejected_through_line, line);
  }

  write(error: MappedRowError, sent: { record?: Record<string, unknown>; raw?: string }): void {
    const entry = this.files.get(error.file);
    if (!entry) return;
    const source = sent.record ? { record: entry.restore(sent.record) } : sent;
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
    entry.writer.write({ line: error.line, record: source.record, raw: source.raw, reason: error.reason, field: error.field });
  }

  /** Flushes and fsyncs every file; what the checkpoint about to be saved may rely on. */
  checkpointState(): Record<string, FailedRowsState> {
    const out: Record<string, FailedRowsState> = {};
    for (const [name, entry] of this.files) {
      if (entry.writer) entry.state.bytes = entry.writer.flush(true);
      out[name] = { ...entry.state };
    }
    return out;
  }

  paths(): string[] {
    return [...this.files.values()].map((e) => e.state.path).filter((p): p is string => Boolean(p));
  }

  async close(): Promise<void> {
    for (const entry of this.files.values()) entry.writer?.close();
  }
}
