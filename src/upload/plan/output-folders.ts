/**
 * The folders a run writes (failed rows, the run's state), made ready before its first job:
 * created when missing, refused with one line naming the folder when they cannot be written, so a
 * run never finds out halfway, after it stored rows it can no longer account for.
 */
import { mkdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BulkError, describeFsError } from '../../errors/bulk-error.js';

/** `what` names the folder's use, `how` says how to choose another (a flag, a variable). */
export function prepareFolder(dir: string, what: string, how: string): void {
  try {
    const info = statSync(dir, { throwIfNoEntry: false });
    if (info && !info.isDirectory())
      throw new BulkError('output-folder', `the ${what} folder ${dir} is not a folder`, how);
    if (!info) mkdirSync(dir, { recursive: true });
  } catch (err) {
    if (err instanceof BulkError) throw err;
    throw new BulkError('output-folder', `cannot create the ${what} folder ${dir}: ${describeFsError(err)}`, how);
  }
  const probe = path.join(dir, `.bulk-write-test-${process.pid}`);
  try {
    writeFileSync(probe, '', { flag: 'wx' });
    unlinkSync(probe);
  } catch (err) {
    throw new BulkError('output-folder', `cannot write in the ${what} folder ${dir}: ${describeFsError(err)}`, how);
  }
}

/** Every folder the run's failed-rows files may go to: the one given, else each input's own. */
export function failedRowsFolders(files: string[], dir: string | undefined, cwd = process.cwd()): string[] {
  if (dir) return [path.resolve(cwd, dir)];
  return [...new Set(files.map((f) => (f === '-' ? cwd : path.dirname(path.resolve(cwd, f)))))];
}
