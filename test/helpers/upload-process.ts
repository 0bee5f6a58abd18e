import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { BIN } from './run-cli.js';
import { waitUntil } from './wait-until.js';

/** Jobs the newest run's checkpoint in `stateDir` has acknowledged (folded entries count each job). */
export function acknowledgedJobs(stateDir: string): number {
  try {
    const runs = readdirSync(stateDir);
    if (!runs[0]) return 0;
    const cp = JSON.parse(readFileSync(path.join(stateDir, runs[0], 'checkpoint.json'), 'utf8')) as {
      entries: { jobs?: unknown[] }[];
    };
    // Complete neighbours fold into one entry that lists its jobs.
    return cp.entries.reduce((n, e) => n + (e.jobs?.length ?? 1), 0);
  } catch {
    return 0;
  }
}

/** Waits until the checkpoint holds `after` acknowledged jobs, or the client has ended. */
export async function untilAcknowledged(stateDir: string, after: number, child: ChildProcess): Promise<void> {
  await waitUntil(
    () => `${after} acknowledged jobs in the checkpoint (seen ${acknowledgedJobs(stateDir)})`,
    () => acknowledgedJobs(stateDir) >= after || child.exitCode !== null || child.signalCode !== null,
    { intervalMs: 5 },
  );
}

export interface UploadProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
}

/** The built CLI as a child process; `stdinFile` is piped to its stdin (a producer that dies with it). */
export function startUpload(
  args: string[],
  opts: { env: Record<string, string>; cwd?: string; stdinFile?: string },
): UploadProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: '/tmp', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // The client may stop reading (or die) before the producer is done: EPIPE is expected then.
  child.stdin?.on('error', () => {});
  if (opts.stdinFile)
    createReadStream(opts.stdinFile)
      .on('error', () => {})
      .pipe(child.stdin as NodeJS.WritableStream);
  else child.stdin?.end();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on('close', (code, signal) => r({ code, signal })),
  );
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}
