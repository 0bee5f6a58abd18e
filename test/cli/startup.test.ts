import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** The modules a CLI invocation loaded, from Node's CommonJS cache (undici, better-sqlite3, pg are CommonJS). */
function loadedFor(args: string[]): string[] {
  const script = `
    import { createRequire } from 'node:module';
    const { main } = await import(${JSON.stringify(path.join(ROOT, 'dist', 'cli', 'main.js'))});
    const out = process.stdout.write.bind(process.stdout);
    process.stdout.write = () => true;
    await main(['node', 'bulk', ...${JSON.stringify(args)}]);
    process.stdout.write = out;
    out(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));
  `;
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(res.status, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as string[];
}

describe('start-up stays light', () => {
  it.each([['--version'], ['--help'], ['upload', '--help']])(
    'bulk %s loads no HTTP client, database driver or server',
    (...args) => {
      const heavy = loadedFor(args).filter((m) =>
        /node_modules[\\/](undici|better-sqlite3|pg|csv-parse|cli-progress|ora)[\\/]/.test(m),
      );
      expect(heavy).toEqual([]);
    },
  );
});
