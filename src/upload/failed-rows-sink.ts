import type { InputFormat } from '../input/input-item.js';
import type { FailedRowsState } from './checkpoint.js';
import { FailedRowsWriter } from './failed-rows-writer.js';
import { failedRowsPath } from './output-paths.js';
import type { MappedRowError } from './upload-events.js';

interface FileEntry {
  input: string;
  format: InputFormat;
  columns: string[] | null;
  writer: FailedRowsWriter | null;
  state: FailedRowsState;
}

/**
 * One failed-rows file per input, created at the first failure (a clean run leaves no empty files)
 * and never over an earlier one. On resume it continues the run's own file from its checkpoint.
 */
export class FailedRowsSink {
  private readonly files = new Map<string, FileEntry>();

  constructor(
    private readonly dir: string | undefined,
    private readonly resumed: Record<string, FailedRowsState> = {},
  ) {}

  describe(displayName: string, format: InputFormat, input: string): void {
    if (this.files.has(displayName)) return;
    const state = this.resumed[displayName] ?? { path: null, bytes: 0, rejected_through_line: 0, rejected: 0 };
    this.files.set(displayName, { input, format, columns: null, writer: null, state: { ...state } });
  }

  setColumns(displayName: string, columns: string[] | null): void {
    const entry = this.files.get(displayName);
    if (entry && !entry.columns && columns) entry.columns = columns;
  }

  /** A parse failure: counted in the checkpoint so a resume does not write it twice. */
  noteRejected(displayName: string, line: number): void {
    const entry = this.files.get(displayName);
    if (!entry) return;
    entry.state.rejected++;
    entry.state.rejected_through_line = Math.max(entry.state.rejected_through_line, line);
  }

  write(error: MappedRowError, source: { record?: Record<string, unknown>; raw?: string }): void {
    const entry = this.files.get(error.file);
    if (!entry) return;
    if (!entry.writer) {
      const format = entry.format === 'csv' ? 'csv' : 'ndjson';
      const columns = entry.columns ?? (source.record ? Object.keys(source.record) : []);
      if (entry.state.path) {
        entry.writer = new FailedRowsWriter(entry.state.path, format, columns, entry.state.bytes);
      } else {
        entry.writer = new FailedRowsWriter(failedRowsPath(entry.input, entry.format, this.dir), format, columns);
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
