// A real full disk for tests: a small tmpfs mounted on a folder (root only). Where mounting is
// refused, tests that need it are skipped and say so.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

export interface TinyDisk {
  path: string;
  /** Makes room again (remount with more space), as a person freeing space would. */
  grow(size: string): void;
  /** Read-only or writable again, as a failing disk or an operator would make it. */
  remount(mode: 'ro' | 'rw'): void;
  unmount(): void;
}

export function mountTinyDisk(dir: string, size: string): TinyDisk | null {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return null;
  }
  return {
    path: dir,
    grow: (more) => execFileSync('mount', ['-o', `remount,size=${more}`, dir], { stdio: 'ignore' }),
    remount: (mode) => execFileSync('mount', ['-o', `remount,${mode}`, dir], { stdio: 'ignore' }),
    unmount: () => execFileSync('umount', ['-l', dir], { stdio: 'ignore' }),
  };
}

/** Whether this process may mount a tmpfs (root in a sandbox that allows it). */
export function canMount(probeDir: string): boolean {
  const disk = mountTinyDisk(probeDir, '4k');
  disk?.unmount();
  return disk !== null;
}
