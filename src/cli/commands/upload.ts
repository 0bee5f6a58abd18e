/**
 * `bulk upload` and `bulk resume` (and, through delete.ts, `bulk delete`): a thin adapter. Flags →
 * the run plan (resolveRunPlan) → the one core call → reporter → the exit path. The core and the
 * renderers load only when a run starts, so `--help` stays light.
 */
import { Command, Option } from 'commander';
import { ENDINGS } from '../../errors/exit-codes.js';
import type { UploadEnd } from '../../upload/state/run-report.js';
import type { RunCounts, UploadEvent } from '../../upload/upload-events.js';
import { reportFromEvents } from '../run-snapshot.js';
import { end, settle, trackRun, type Ending } from '../exit-path.js';
import { addAnswerOptions } from '../answer-flags.js';
import { addInputOptions } from '../input-flags.js';
import {
  encodingLabel,
  fieldList,
  increaseVerbosity,
  maxErrors,
  nonNegativeSeconds,
  positiveInteger,
  recordSize,
} from '../options.js';
import type { UploadFlags } from '../upload-flags.js';
import { RUN_SETTING_FLAGS } from '../../upload/plan/run-plan.js';

const EXAMPLES = `
Examples:
  $ bulk upload transactions.csv                      # embedded server, bars on a terminal
  $ bulk upload data.ndjson --url http://jobs:8000 --resource transactions
  $ BULK_TOKEN_FILE=~/.bulk-token bulk upload a.csv b.csv --json > result.json
  $ cat rows.ndjson | bulk upload - --format ndjson --resource transactions
  $ bulk upload fixes.csv --upsert --unique-fields account_id,transaction_date,description
  $ bulk upload big.csv --max-errors 1% --batch-size 5000 --concurrency 8
  $ bulk upload --resume                              # finish the newest run that stopped
  $ bulk upload export.csv --delimiter ';' --map Betrag=amount --ignore-unknown
  $ bulk upload rows.tsv.gz --no-header --columns account_id,amount,transaction_date
`;

export function uploadCommand(): Command {
  const cmd = new Command('upload')
    .description(
      'Stream files into the job API in batches, watch each job, and report rows stored and rows rejected by line',
    )
    .argument('[file...]', 'CSV, JSON array or NDJSON files; - reads stdin (needs --format)')
    .addHelpText('before', EXAMPLES)
    .addOption(
      new Option('--url <url>', 'job API base URL; without it an embedded server runs on --db').env('BULK_URL'),
    )
    .option('--resource <name>', "resource to load into (default: each file's name without extension)")
    .addOption(
      new Option('--format <format>', 'input format (default: from the file extension)').choices([
        'csv',
        'json',
        'ndjson',
      ]),
    )
    .addOption(
      new Option(
        '--encoding <label>',
        'input text encoding, a WHATWG label: utf-8, utf-16le, utf-16be, windows-1252 (latin1), iso-8859-15, … ' +
          '(default: utf-8, or what a byte order mark says)',
      ).argParser(encodingLabel),
    )
    // Their environment variables (BULK_BATCH_SIZE, BULK_CONCURRENCY) are read in one place: resolve-run-plan.ts.
    .addOption(
      new Option('--batch-size <rows>', 'rows per job (default 5000; env BULK_BATCH_SIZE)').argParser(positiveInteger),
    )
    .addOption(
      new Option('--concurrency <jobs>', 'jobs in flight at once (default 4; env BULK_CONCURRENCY)').argParser(
        positiveInteger,
      ),
    )
    .addOption(
      new Option(
        '--max-record-size <size>',
        'largest record (NDJSON line, JSON element, CSV record); a longer JSON one fails alone (default 16MiB)',
      ).argParser(recordSize),
    )
    .addOption(
      new Option(
        '--max-depth <levels>',
        'deepest nesting of objects and arrays in a JSON record; a deeper one fails alone (default 32)',
      ).argParser(positiveInteger),
    )
    .option('--upsert', 'update rows that match --unique-fields instead of inserting (PATCH)')
    .option('--unique-fields <fields>', 'with --upsert: the key fields, comma-separated', fieldList)
    .option('--update-fields <fields>', 'with --upsert: only these fields change on a match', fieldList)
    .option('--max-errors <n|n%>', 'stop sending after this many (or this share of) failed rows; exit 3', maxErrors)
    .option('--resume [run-id]', 'finish an earlier run that stopped (default: the newest run)')
    .option('--dry-run', 'read and check everything, count rows and batches, send nothing')
    .option('--no-wait', 'submit the jobs, print their ids, and exit without waiting')
    .option('--no-events', 'poll status instead of following server events')
    .option('--json', 'print one JSON result document on stdout and nothing else')
    .option('-q, --quiet', 'print only errors and the result')
    .option('-v, --verbose', 'more detail: -v batches and retries, -vv HTTP requests', increaseVerbosity, 0)
    .option('--no-color', 'no colour (also NO_COLOR, TERM=dumb)')
    .addOption(
      new Option('--progress-interval <seconds>', 'off a terminal: seconds between progress lines')
        .argParser(nonNegativeSeconds)
        .default(5),
    )
    .addOption(
      new Option('--deadline <seconds>', 'how long a failing request keeps retrying before bulk gives up (exit 4)')
        .argParser(nonNegativeSeconds)
        .default(300),
    )
    .option('--db <path>', 'embedded server only: its SQLite database (or BULK_DB; default: see bulk serve --help)')
    .option('--failed-rows-dir <dir>', 'where failed-rows files go (default: beside each input)')
    .addOption(new Option('--profile <name>', 'config file profile to use').env('BULK_PROFILE'))
    .addOption(
      new Option('--config <file>', 'config file (default: ./bulk.config.json, then ~/.config/bulk/config.json)').env(
        'BULK_CONFIG',
      ),
    )
    .addOption(new Option('--token-file <path>', 'file holding the API token (or BULK_TOKEN)').env('BULK_TOKEN_FILE'))
    .action(async (files: string[], flags: UploadFlags) => settle(await runUploadCommand(files, flags)));
  return addInputOptions(addAnswerOptions(cmd));
}

/** `bulk resume [run-id]`: the same as `bulk upload --resume [run-id]`. */
export function resumeCommand(): Command {
  const cmd = uploadCommand();
  const resume = new Command('resume')
    .description(
      'finish an earlier upload that stopped: re-attach to its jobs, resend what was not confirmed, send the rest',
    )
    .addHelpText(
      'before',
      '\n' +
        'Examples:\n' +
        '  $ bulk resume                          # the newest run\n' +
        '  $ bulk resume 20261128T140305Z-3f9a2c --json\n',
    )
    .argument('[run-id]', 'the run to finish (default: the newest)');
  for (const opt of cmd.options) {
    if (opt.long === '--resume' || (RUN_SETTING_FLAGS as readonly string[]).includes(opt.attributeName())) continue;
    resume.addOption(opt);
  }
  return resume.action(async (runId: string | undefined, flags: UploadFlags) =>
    settle(await runUploadCommand([], { ...flags, resume: runId ?? true })),
  );
}

export async function runUploadCommand(files: string[], flags: UploadFlags): Promise<Ending> {
  const startedAt = new Date();
  let start: Extract<UploadEvent, { type: 'run-start' }> | null = null;
  let counts: RunCounts | null = null;
  trackRun(() => reportFromEvents(files, startedAt, start, counts, flags.dryRun));
  const [
    { checkUploadFlags },
    { resolveFlags, connectTo },
    { runUpload },
    { resolveRunPlan },
    { loadResume },
    { createReporter },
    { resolveColor },
    { watchSignals },
    { RunLog, followHint },
  ] = await Promise.all([
    import('../upload-flags.js'),
    import('../connect.js'),
    import('../../upload/run-upload.js'),
    import('../../upload/plan/resolve-run-plan.js'),
    import('../../upload/state/new-checkpoint.js'),
    import('../../render/reporter.js'),
    import('../../render/color.js'),
    import('../signals.js'),
    import('../run-log.js'),
  ]);
  const config = resolveFlags(flags);
  checkUploadFlags(files, flags);
  const resumed = flags.resume !== undefined ? await loadResume(flags.resume) : null;
  const plan = resolveRunPlan({ ...flags, files }, config, process.env, resumed?.plan);
  const stderr = process.stderr;
  const mode = flags.json ? 'json' : stderr.isTTY ? 'tty' : 'plain';
  const color = resolveColor({ flag: flags.color === false ? false : undefined, env: process.env, stream: stderr });
  // What the screen shows, and the run's own log file beside it.
  const reporter = new RunLog(
    createReporter({
      mode,
      stream: stderr,
      color,
      verbosity: flags.quiet ? -1 : Math.min(2, flags.verbose),
      plainIntervalMs: flags.progressInterval * 1000,
    }),
    flags.progressInterval * 1000,
  );
  const emit = (event: UploadEvent) => {
    if (event.type === 'run-start') start = event;
    else if (event.type === 'counts') counts = event.counts;
    reporter.handle(event);
  };
  const signals = watchSignals(
    (sig) =>
      reporter.handle({
        type: 'warning',
        text: `${sig}: stopping after the requests in flight (press Ctrl-C again to quit at once)`,
      }),
    (sig) => {
      reporter.close();
      return end({
        kind: sig === 'SIGINT' ? 'interrupted' : 'terminated',
        message: `${sig} again: stopped at once`,
        run: reportFromEvents(files, startedAt, start, counts, flags.dryRun),
      });
    },
  );
  let result: UploadEnd;
  try {
    result = await runUpload({
      plan,
      resumed,
      startedAt,
      emit,
      stopSignal: signals.signal,
      signalReceived: signals.received,
      connect: async (target) => {
        const conn = await connectTo(target, config, {
          timeoutSeconds: flags.timeout,
          maxAnswerBytes: plan.maxAnswerBytes,
          hooks: { retry: { baseDelayMs: 250, maxDelayMs: 15_000, deadlineMs: flags.deadline * 1000 } },
          onStage: (text) => emit({ type: 'stage', text }),
        });
        conn.client.setHooks({ signal: signals.signal });
        return conn;
      },
    });
    const row = ENDINGS[result.kind];
    result.report.summary.logFile = reporter.path;
    // Nothing was sent: one line says so (the exit path writes it), not a summary of the old run.
    if (result.kind !== 'nothing-to-resume')
      reporter.finish({ ...result.report.summary, status: row.status, exitCode: row.exitCode });
  } finally {
    reporter.close();
    signals.dispose();
  }
  const { report } = result;
  if (!flags.json && !flags.wait)
    for (const job of result.submittedJobs)
      process.stdout.write(`${job.jobId}\tbatch ${job.batch}\t${job.file}:${job.firstLine}-${job.lastLine}\n`);
  trackRun(null);
  const follow = result.kind === 'submitted' && report.runId ? followHint(report.runId) : null;
  if (follow && !flags.json && !flags.quiet) process.stderr.write(`bulk: ${follow}\n`);
  const summaryShown = mode !== 'json' && result.kind !== 'nothing-to-resume';
  return { kind: result.kind, message: report.summary.message ?? null, run: report, summaryShown, next: follow };
}
