import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { BIN } from './run-cli.js';
import { tempDir } from './temp.js';

export interface ServerProcess {
  url: string;
  proc: ChildProcess;
  /** The database the server said it opened (absolute). */
  dbPath: string;
  stdout: () => string;
  stderr: () => string;
  /** SIGTERM (or the signal given), then the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  kill9(): Promise<void>;
}

export interface SpawnServerOptions {
  /** @default a new temp directory's bulk.db; with null no --db at all (BULK_DB or the XDG default applies). */
  dbPath?: string | null;
  /** More `bulk serve` flags (a later --port wins over the helper's --port 0). */
  args?: string[];
  env?: Record<string, string>;
}

const LISTENING = /^bulk serve listening on (http:\/\/\S+) \(db: (.+)\)\n/;

/**
 * Runs `bulk serve` as its own process (built CLI, port 0) and waits for its listening line.
 * Takes options, or (as older callers do) the extra flags and an environment.
 */
export function spawnServer(
  opts: SpawnServerOptions | string[] = {},
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const o: SpawnServerOptions = Array.isArray(opts) ? { args: opts, env } : opts;
  const args = [...(o.args ?? [])];
  if (!args.includes('--db') && o.dbPath !== null) args.push('--db', o.dbPath ?? path.join(tempDir(), 'bulk.db'));
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let listening = false;
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    proc.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = LISTENING.exec(out);
      if (m && !listening) {
        listening = true;
        resolve({
          url: m[1] as string,
          dbPath: m[2] as string,
          proc,
          stdout: () => out,
          stderr: () => err,
          stop: async (signal = 'SIGTERM') => {
            proc.kill(signal);
            return exited;
          },
          kill9: async () => {
            proc.kill('SIGKILL');
            await exited;
          },
        });
      }
    });
    proc.on('exit', (code) => {
      if (!listening) reject(new Error(`bulk serve exited ${code} before listening: ${err}`));
    });
  });
}
