// What the run knows of its inputs before reading them: the resource each file names and their total size.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { formatName } from '../../input/gzip-input.js';

export async function totalSize(files: string[]): Promise<number | null> {
  let total = 0;
  for (const file of files) {
    if (file === '-') return null;
    try {
      total += (await stat(file)).size;
    } catch {
      return null;
    }
  }
  return total;
}

export function resourceFromFile(file: string): string {
  const base = formatName(path.basename(file));
  return base.replace(/\.(csv|tsv|json|ndjson|jsonl)$/i, '').replace(/\.failed(-\d+)?$/, '');
}
