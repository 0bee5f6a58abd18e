// Where an input's failed-rows file goes, never over an earlier one.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { formatName } from '../../input/gzip-input.js';
import type { InputFormat } from '../../input/input-item.js';

/**
 * Where an input's failed rows go: `<dir>/<stem>.failed.csv` (`.failed.ndjson` for JSON inputs),
 * beside the input unless a directory is given; `.failed-2`, `-3`, … when earlier ones exist, so an
 * earlier run's file is never overwritten.
 */
export function failedRowsPath(input: string, format: InputFormat, dir?: string): string {
  // A compressed input's failed rows are written plain; a .tsv input's keep its tabs and its name.
  const name = formatName(path.basename(input));
  const ext = format !== 'csv' ? 'ndjson' : /\.tsv$/i.test(name) ? 'tsv' : 'csv';
  const base =
    input === '-' ? 'stdin' : name.replace(/\.(csv|tsv|json|ndjson|jsonl)$/i, '').replace(/\.failed(-\d+)?$/, '');
  const folder = dir ?? (input === '-' ? process.cwd() : path.dirname(input));
  for (let n = 1; ; n++) {
    const candidate = path.join(folder, `${base}.failed${n === 1 ? '' : `-${n}`}.${ext}`);
    if (!existsSync(candidate)) return candidate;
  }
}
