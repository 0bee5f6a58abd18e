/**
 * The exit codes of `bulk`, and the one table that turns how a command ended into one: a contract
 * with CI steps and cron jobs. The README's table and test/errors/exit-codes.test.ts follow it.
 * It lives outside cli/ so the upload core and the renderers can name outcomes without importing
 * the command layer.
 */
export const ExitCode = {
  /** Every row stored. */
  Ok: 0,
  /** Finished, but some rows were rejected. */
  RowsRejected: 1,
  /** Usage or configuration error. */
  Usage: 2,
  /** Stopped early: input unreadable, auth refused, protocol broken, rows unconfirmed, too many errors, output. */
  StoppedEarly: 3,
  /** Server unreachable, or it kept failing until the retries ran out. */
  Unreachable: 4,
  /** A bug in bulk itself. */
  Internal: 70,
  /** Another live bulk process holds the run (sysexits EX_TEMPFAIL): try again later. */
  TryLater: 75,
  /** Interrupted by SIGINT (Ctrl-C). */
  Interrupted: 130,
  /** Terminated by SIGTERM. */
  Terminated: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODE_MEANINGS: ReadonlyArray<readonly [ExitCodeValue, string]> = [
  [ExitCode.Ok, 'every row stored'],
  [ExitCode.RowsRejected, 'finished, some rows rejected (see the failed-rows file)'],
  [
    ExitCode.Usage,
    'usage or configuration error (a flag, the config file, an unknown resource, a folder bulk cannot write)',
  ],
  [
    ExitCode.StoppedEarly,
    'stopped early: input unreadable, auth refused, server broke the protocol, rows unconfirmed, ' +
      "too many errors, a write failed, the run's checkpoint unreadable",
  ],
  [
    ExitCode.Unreachable,
    'server unreachable: no connection, or it kept failing (5xx, 429) until the retries ran out ' +
      '(a batch it may have taken meanwhile is unconfirmed: exit 3)',
  ],
  [ExitCode.Internal, 'internal error in bulk'],
  [ExitCode.TryLater, 'another bulk process holds the run (a cron overlap): nothing was done, try again later'],
  [ExitCode.Interrupted, 'interrupted by SIGINT (Ctrl-C)'],
  [ExitCode.Terminated, 'terminated by SIGTERM'],
];

/** How a run ended, as the `--json` document's `status` says it. */
export type RunStatus =
  | 'completed'
  | 'completed_with_errors'
  | 'stopped'
  | 'interrupted'
  | 'unreachable'
  | 'failed'
  | 'dry_run'
  | 'submitted'
  | 'nothing_to_resume';

/** Why a command could not finish its work. Domain errors carry one (BulkError.kind, ApiError.kind). */
export type ErrorKind =
  /** A flag, an argument or a combination of them is wrong. */
  | 'usage'
  /** The config file, the environment, a token file or a server setting is wrong. */
  | 'config'
  /** The server has no such resource: resuming cannot help, another --resource can. */
  | 'unknown-resource'
  /** A folder bulk must write (failed rows, run state) cannot be created or written. */
  | 'output-folder'
  /** An input cannot be read on (missing, undecodable, unparseable past resynchronising). */
  | 'input'
  /** 401/403: the token is missing or refused. */
  | 'auth'
  /** A job the server accepted is gone, or a job named on the command line does not exist. */
  | 'not-found'
  /** 413 for a single row: nothing smaller can be sent. */
  | 'too-large'
  /** Any other 4xx the server will answer the same way next time. */
  | 'rejected'
  /** The server answered something that is not the protocol. */
  | 'protocol'
  /** More rows failed than --max-errors allows. */
  | 'max-errors'
  /** A job the server accepted is no longer known to it. */
  | 'job-lost'
  /** A watched job ended Failed or Aborted. */
  | 'job-failed'
  /** The server took rows (or may have), and its answers about them could not be read: their fate is unknown. */
  | 'unconfirmed'
  /** Writing the failed-rows file or the checkpoint failed (ENOSPC, EACCES, EIO). */
  | 'output'
  /** Another live bulk process holds the run. */
  | 'locked'
  /** A checkpoint that does not parse or does not describe a run. */
  | 'checkpoint'
  /** The run cannot be resumed (an input changed, it read stdin). */
  | 'resume-refused'
  /** The server could not be reached, or kept failing until the deadline. */
  | 'unreachable'
  /** A bug in bulk. */
  | 'internal'
  /** SIGINT. */
  | 'interrupted'
  /** SIGTERM. */
  | 'terminated';

/** How a run ends when nothing went wrong. */
export type OutcomeKind =
  | 'completed'
  | 'rows-rejected'
  | 'dry-run'
  | 'dry-run-rejected'
  | 'submitted'
  /** `--resume` of a run that had already finished: nothing was sent. */
  | 'nothing-to-resume';

export type EndKind = OutcomeKind | ErrorKind;

export interface EndingRow {
  exitCode: ExitCodeValue;
  status: RunStatus;
  /** What a person should do next, when the table can say it without knowing more. */
  next: string | null;
  /** Whether `bulk upload --resume` can finish a run that ended this way (else nothing must offer it). */
  resumable: boolean;
}

/** The one table: every way a command ends, its exit code, its `--json` status and the next step. */
export const ENDINGS: Readonly<Record<EndKind, EndingRow>> = {
  completed: { exitCode: ExitCode.Ok, status: 'completed', next: null, resumable: false },
  'rows-rejected': {
    exitCode: ExitCode.RowsRejected,
    status: 'completed_with_errors',
    next: 'fix the rows in the failed-rows file and upload that file',
    resumable: false,
  },
  'dry-run': { exitCode: ExitCode.Ok, status: 'dry_run', next: null, resumable: false },
  'dry-run-rejected': {
    exitCode: ExitCode.RowsRejected,
    status: 'dry_run',
    next: 'fix the rows in the failed-rows file before the real run',
    resumable: false,
  },
  submitted: { exitCode: ExitCode.Ok, status: 'submitted', next: null, resumable: false },
  'nothing-to-resume': { exitCode: ExitCode.Ok, status: 'nothing_to_resume', next: null, resumable: false },
  usage: { exitCode: ExitCode.Usage, status: 'failed', next: 'see --help', resumable: false },
  config: {
    exitCode: ExitCode.Usage,
    status: 'failed',
    next: 'check the flags, the environment and the config file',
    resumable: false,
  },
  'unknown-resource': {
    exitCode: ExitCode.Usage,
    status: 'failed',
    next:
      'name a resource the server has with --resource, ' +
      'or give the server a resources file (bulk serve --resources)',
    resumable: false,
  },
  'output-folder': {
    exitCode: ExitCode.Usage,
    status: 'failed',
    next: 'choose a folder bulk can write (--failed-rows-dir, BULK_STATE_DIR)',
    resumable: false,
  },
  input: {
    exitCode: ExitCode.StoppedEarly,
    status: 'stopped',
    next: 'fix the input and upload it again',
    resumable: false,
  },
  auth: {
    exitCode: ExitCode.StoppedEarly,
    status: 'stopped',
    next: 'check the token in --token-file / BULK_TOKEN_FILE / BULK_TOKEN',
    resumable: true,
  },
  'not-found': {
    exitCode: ExitCode.StoppedEarly,
    status: 'stopped',
    next: 'check the id (bulk jobs lists the recent ones)',
    resumable: true,
  },
  'too-large': {
    exitCode: ExitCode.StoppedEarly,
    status: 'stopped',
    next: 'the server refuses even one row: ask its operator about --max-body-bytes',
    resumable: true,
  },
  rejected: { exitCode: ExitCode.StoppedEarly, status: 'stopped', next: null, resumable: true },
  protocol: {
    exitCode: ExitCode.StoppedEarly,
    status: 'stopped',
    next: 'check that --url points at a bulk job API',
    resumable: true,
  },
  'max-errors': {
    exitCode: ExitCode.StoppedEarly,
    status: 'stopped',
    next: 'look at the failed rows, and allow more with --max-errors',
    resumable: true,
  },
  'job-lost': { exitCode: ExitCode.StoppedEarly, status: 'stopped', next: null, resumable: true },
  'job-failed': { exitCode: ExitCode.StoppedEarly, status: 'stopped', next: null, resumable: true },
  unconfirmed: {
    exitCode: ExitCode.StoppedEarly,
    status: 'stopped',
    next: 'resume: it asks the server about those jobs again before anything is re-sent',
    resumable: true,
  },
  output: {
    exitCode: ExitCode.StoppedEarly,
    status: 'stopped',
    next: 'free space or fix permissions',
    resumable: true,
  },
  locked: {
    exitCode: ExitCode.TryLater,
    status: 'stopped',
    next: 'wait for that process to end, or stop it',
    resumable: true,
  },
  checkpoint: {
    exitCode: ExitCode.StoppedEarly,
    status: 'stopped',
    next: 'restore the file, or start a new upload (the rows the run stored stay stored)',
    resumable: false,
  },
  'resume-refused': { exitCode: ExitCode.StoppedEarly, status: 'stopped', next: null, resumable: false },
  unreachable: {
    exitCode: ExitCode.Unreachable,
    status: 'unreachable',
    next: 'check the server is up at --url / BULK_URL (one that is busy: allow it longer with --deadline)',
    resumable: true,
  },
  internal: {
    exitCode: ExitCode.Internal,
    status: 'failed',
    next: 'set BULK_DEBUG=1 for the stack trace, and report it',
    resumable: true,
  },
  interrupted: { exitCode: ExitCode.Interrupted, status: 'interrupted', next: null, resumable: true },
  terminated: { exitCode: ExitCode.Terminated, status: 'interrupted', next: null, resumable: true },
};
