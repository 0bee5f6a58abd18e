import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './run-cli.js';

export interface ServerProcess {
  url: string;
  proc: ChildProcess;
  stderr: () => string;
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

/** Runs `bulk serve` as its own process (port 0) and waits for its listening line. */
export function spawnServer(args: string[], env: Record<string, string> = {}): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    proc.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        resolve({
          url: m[1] as string,
          proc,
          stderr: () => err,
          stop: async () => {
            proc.kill('SIGTERM');
            return exited;
          },
          kill9: async () => {
            proc.kill('SIGKILL');
            await exited;
          },
        });
      }
    });
    proc.on('exit', (code) => reject(new Error(`bulk serve exited ${code} before listening: ${err}`)));
  });
}
