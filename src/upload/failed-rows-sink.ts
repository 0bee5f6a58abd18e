import type { InputFormat } from '../input/input-item.js';
import { createFailedRowsWriter, type FailedRowsWriter } from './failed-rows-writer.js';
import { failedRowsPath } from './output-paths.js';
import type { MappedRowError } from './upload-events.js';

interface FileEntry {
  input: string;
  format: InputFormat;
  columns: string[] | null;
  writer: FailedRowsWriter | null;
}

/**
 * One failed-rows file per input file, created on the first failure only (a clean run leaves no
 * empty files behind) and never over an earlier one.
 */
export class FailedRowsSink {
  private readonly files = new Map<string, FileEntry>();
  private readonly order: string[] = [];

  constructor(private readonly dir?: string) {}

  describe(displayName: string, format: InputFormat, input: string): void {
    if (!this.files.has(displayName)) this.files.set(displayName, { input, format, columns: null, writer: null });
  }

  setColumns(displayName: string, columns: string[] | null): void {
    const entry = this.files.get(displayName);
    if (entry && !entry.columns && columns) entry.columns = columns;
  }

  write(error: MappedRowError, source: { record?: Record<string, unknown>; raw?: string }): void {
    const entry = this.files.get(error.file);
    if (!entry) return;
    if (!entry.writer) {
      const target = failedRowsPath(entry.input, entry.format, this.dir);
      entry.writer = createFailedRowsWriter({ path: target, format: entry.format === 'csv' ? 'csv' : 'ndjson', columns: entry.columns ?? [] });
      this.order.push(error.file);
    }
    entry.writer.write({ line: error.line, record: source.record, raw: source.raw, reason: error.reason, field: error.field });
  }

  paths(): string[] {
    return this.order.map((name) => this.files.get(name)?.writer?.path).filter((p): p is string => Boolean(p));
  }

  async close(): Promise<void> {
    for (const entry of this.files.values()) await entry.writer?.close();
  }
}
