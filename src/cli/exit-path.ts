/**
 * The one way every command ends: a result, a usage error (commander's included), a stop, a
 * signal or a bug. `end()` writes the `--json` document when it was asked for (always, and valid
 * against schemas/), then one `bulk: ` line saying what happened and what to do next, and returns
 * the exit code from the one table in errors/exit-codes.ts. Nothing else decides an exit code.
 */
import { CommanderError } from 'commander';
import { BulkError, kindOf } from '../errors/bulk-error.js';
import {
  ENDINGS,
  ExitCode,
  type EndKind,
  type EndingRow,
  type ErrorKind,
  type ExitCodeValue,
} from '../errors/exit-codes.js';
import { breakWords } from '../render/fit-parts.js';
import { buildJsonResult, RESULT_SCHEMA_VERSION } from '../render/json-result.js';
import type { RunSummary } from '../render/run-summary.js';
import type { RunReport } from '../upload/state/run-report.js';

export interface Ending {
  kind: EndKind;
  /** What happened, one line, without the `bulk: ` prefix; null when there is nothing to say. */
  message: string | null;
  /** The next step when this ending knows better than the table. */
  next?: string | null;
  /** The upload run this ends, for its document. */
  run?: RunReport | null;
  /** The run's summary is on stderr already and says what happened: the line gives only the next step. */
  summaryShown?: boolean;
  /** The command wrote its own `--json` document (the job commands' answers). */
  documentWritten?: boolean;
  /** Printed under the line with BULK_DEBUG=1 only. */
  stack?: string;
}

/** What the command line asked for, known before commander parses it (usage errors need it too). */
export interface Invocation {
  command: string | null;
  json: boolean;
}

const UPLOAD_COMMANDS = new Set(['upload', 'resume', 'delete']);
const OUTCOMES = new Set<EndKind>([
  'completed',
  'rows-rejected',
  'dry-run',
  'dry-run-rejected',
  'submitted',
  'nothing-to-resume',
]);

let invocation: Invocation = { command: null, json: false };
let settled: Ending | null = null;
let liveRun: (() => RunReport) | null = null;

export function invocationOf(argv: readonly string[]): Invocation {
  const args = argv.slice(2);
  const options = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  const command = args.find((a) => !a.startsWith('-')) ?? null;
  return { command, json: options.includes('--json') };
}

/** Called once by main, before anything can fail. */
export function begin(argv: readonly string[]): Invocation {
  invocation = invocationOf(argv);
  settled = null;
  liveRun = null;
  return invocation;
}

/** A command's action hands its ending here; main ends the process with it. */
export function settle(ending: Ending): void {
  settled = ending;
}

export function takeSettled(): Ending | null {
  const e = settled;
  settled = null;
  return e;
}

/** A running upload registers how to describe itself, for a bug or a second Ctrl-C mid-run. */
export function trackRun(snapshot: (() => RunReport) | null): void {
  liveRun = snapshot;
}

export function isErrorKind(kind: EndKind): kind is ErrorKind {
  return !OUTCOMES.has(kind);
}

/** Any thrown value as an ending: commander's usage errors, BulkErrors by kind, anything else a bug. */
export function endingOfError(err: unknown): Ending {
  const run = liveRun?.() ?? null;
  if (err instanceof CommanderError) {
    // --help and --version end here too, with exit code 0.
    if (err.exitCode === 0) return { kind: 'completed', message: null, run };
    const text = err.code === 'commander.help' ? 'a command is needed' : err.message.replace(/^error: /, '');
    return { kind: 'usage', message: text, run };
  }
  const error = err instanceof Error ? err : new Error(String(err));
  const kind = kindOf(err);
  const message = kind === 'internal' ? `internal error: ${error.message}` : error.message;
  return { kind, message, next: err instanceof BulkError ? err.next : null, run, stack: error.stack };
}

/** The next step; `withResume` false leaves out the resume command (a run's summary shows it already). */
function nextStep(ending: Ending, row: EndingRow, withResume = true): string | null {
  let next = ending.next ?? row.next;
  if (ending.kind === 'usage' && !ending.next)
    next =
      `see bulk ${invocation.command && !invocation.command.startsWith('-') ? `${invocation.command} ` : ''}` +
      '--help';
  const resume = row.resumable && withResume ? ending.run?.summary.resumeCommand : null;
  if (resume && isErrorKind(ending.kind))
    next = next ? `${next}, then resume with: ${resume}` : `resume with: ${resume}`;
  return next;
}

function runDocument(ending: Ending, row: EndingRow, next: string | null): unknown {
  const startedAt = ending.run?.startedAt ?? new Date();
  const run: RunReport = ending.run ?? {
    runId: null,
    files: [],
    url: null,
    startedAt,
    summary: {
      counts: { read: 0, stored: 0, failed: 0, unprocessed: 0 },
      jobs: 0,
      elapsedMs: 0,
      rowsPerSecond: 0,
      aggregates: {},
      failedRowsFile: null,
      resumeCommand: null,
    },
    jobs: [],
    firstErrors: [],
  };
  const summary: RunSummary = {
    ...run.summary,
    // A resume replays the run's settings: after a usage or configuration error it would fail the same way.
    resumeCommand: row.resumable ? run.summary.resumeCommand : null,
    status: row.status,
    exitCode: row.exitCode,
    message: ending.message ?? run.summary.message,
    errorKind: isErrorKind(ending.kind) ? ending.kind : null,
    next,
  };
  return buildJsonResult(summary, run.jobs, run.firstErrors, {
    runId: run.runId,
    files: run.files,
    url: run.url,
    startedAt: startedAt.toISOString(),
  });
}

function errorDocument(ending: Ending, row: EndingRow, next: string | null): unknown {
  return {
    schema_version: RESULT_SCHEMA_VERSION,
    command: invocation.command,
    status: row.status,
    exit_code: row.exitCode,
    error_kind: ending.kind,
    message: ending.message ?? ending.kind,
    next_step: next,
  };
}

/**
 * On a terminal the line breaks at spaces to fit its width (a terminal's own wrap would cut words); elsewhere it stays
 * one line.
 */
function onTerminal(text: string, stream: NodeJS.WritableStream): string {
  const { isTTY, columns } = stream as { isTTY?: boolean; columns?: number };
  return isTTY && columns ? breakWords(text, columns, columns - 2).join('\n  ') : text;
}

/** Ends a command: the document, the line, the exit code. Never throws. */
export function end(
  ending: Ending,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process,
): ExitCodeValue {
  const row = ENDINGS[ending.kind] ?? ENDINGS.internal;
  const next = nextStep(ending, row);
  try {
    if (invocation.json && !ending.documentWritten) {
      const upload = invocation.command !== null && UPLOAD_COMMANDS.has(invocation.command);
      if (upload) io.stdout.write(`${JSON.stringify(runDocument(ending, row, next), null, 2)}\n`);
      else if (isErrorKind(ending.kind))
        io.stdout.write(`${JSON.stringify(errorDocument(ending, row, next), null, 2)}\n`);
    }
    // After a run's summary (which says what happened, and how to resume) the line is only the next step.
    const line = ending.summaryShown
      ? isErrorKind(ending.kind)
        ? nextStep(ending, row, false)
        : null
      : ending.message
        ? `${ending.message}${next ? `; ${next}` : ''}`
        : null;
    if (line) io.stderr.write(`${onTerminal(`bulk: ${line}`, io.stderr)}\n`);
    if (ending.stack && process.env.BULK_DEBUG) io.stderr.write(`${ending.stack}\n`);
  } catch {
    // Writing is best effort (safe-stdio drops writes to a broken stream); the exit code is not.
  }
  return row.exitCode ?? ExitCode.Internal;
}
