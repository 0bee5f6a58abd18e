// What the run knows of its inputs before reading them: the resource each file names and their total size.
import { stat } from 'node:fs/promises';
import path from 'node:path';

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
  const base = path.basename(file);
  return base.replace(/\.(csv|json|ndjson|jsonl)$/i, '').replace(/\.failed(-\d+)?$/, '');
}
