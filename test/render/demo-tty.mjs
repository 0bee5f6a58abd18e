// Feeds a scripted upload to the compiled tty reporter, to look at it in a real terminal:
//   npm run build && node test/render/demo-tty.mjs        (BULK_DIST=/other/dist to point elsewhere)
// Options: --plain (plain reporter), --fast (10x speed), --quiet, -v, -vv.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = path.resolve(process.env.BULK_DIST ?? path.join(import.meta.dirname, '../../dist'));
const load = (p) => import(pathToFileURL(path.join(dist, p)).href);
const { createReporter } = await load('render/reporter.js');
const { resolveColor } = await load('render/color.js');
const { combineAggregates } = await load('upload/combine-aggregates.js');

const args = process.argv.slice(2);
const speed = args.includes('--fast') ? 10 : 1;
const verbosity = args.includes('--quiet') ? -1 : args.includes('-vv') ? 2 : args.includes('-v') ? 1 : 0;
const mode = args.includes('--plain')
  ? 'plain'
  : args.includes('--json')
    ? 'json'
    : process.stderr.isTTY
      ? 'tty'
      : 'plain';
const color = resolveColor({
  flag: args.includes('--no-color') ? false : undefined,
  env: process.env,
  stream: process.stderr,
});
const reporter = createReporter({ mode, stream: process.stderr, color, verbosity, plainIntervalMs: 1000 / speed });
process.once('SIGINT', () => {
  reporter.close();
  process.exitCode = 130;
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms / speed));
const file = 'transactions.csv';
const batchSize = 1000;
const totalRows = 6500;
const totalBytes = 6500 * 80;
const concurrency = 3;
const started = Date.now();
const counts = {
  read: 0,
  stored: 0,
  failed: 0,
  unprocessed: 0,
  inFlight: 0,
  totalRows: null,
  bytesRead: 0,
  totalBytes,
};
const outcomes = [];

reporter.handle({
  type: 'run-start',
  runId: '20261128T140305Z-3f9a2c',
  files: [file],
  url: 'http://127.0.0.1:8000',
  embedded: true,
  batchSize,
  concurrency,
});
reporter.handle({ type: 'stage', text: 'Starting embedded server…' });
await sleep(1500);
reporter.handle({ type: 'stage', text: 'Reading transactions.csv…' });
await sleep(700);

const jobs = [];
for (let b = 1; b * batchSize - batchSize < totalRows; b++) {
  const rows = Math.min(batchSize, totalRows - (b - 1) * batchSize);
  const firstLine = 2 + (b - 1) * batchSize;
  jobs.push({
    batch: b,
    rows,
    firstLine,
    lastLine: firstLine + rows - 1,
    jobId: `${(0x1a2b3c4d + b * 7919).toString(16)}-5e6f-4a1b-9c2d-${String(b).padStart(12, '0')}`,
    processed: 0,
    failed: 0,
    speed: 90 + ((b * 37) % 80),
  });
}

function emitCounts() {
  const live = running.reduce((s, j) => ({ stored: s.stored + j.processed - j.failed, failed: s.failed + j.failed }), {
    stored: 0,
    failed: 0,
  });
  reporter.handle({
    type: 'counts',
    counts: {
      ...counts,
      stored: counts.stored + live.stored,
      failed: counts.failed + live.failed,
      inFlight: running.length,
    },
  });
}

let running = [];
let next = 0;
while (next < jobs.length || running.length > 0) {
  while (running.length < concurrency && next < jobs.length) {
    const j = jobs[next++];
    counts.read += j.rows;
    counts.bytesRead = Math.min(totalBytes, counts.read * 80);
    if (next === jobs.length) counts.totalRows = counts.read;
    reporter.handle({
      type: 'http',
      method: 'POST',
      url: 'http://127.0.0.1:8000/api/transactions/bulk/',
      status: 202,
      ms: 12,
    });
    reporter.handle({
      type: 'batch-submitted',
      origin: { batch: j.batch, file, firstLine: j.firstLine, lastLine: j.lastLine, rows: j.rows },
      jobId: j.jobId,
      replayed: false,
    });
    if (j.batch === 4)
      reporter.handle({ type: 'retry', what: 'job status', attempt: 1, delayMs: 250, reason: 'HTTP 503' });
    running.push(j);
  }
  if (next === jobs.length && running.length === concurrency)
    reporter.handle({ type: 'stage', text: 'Waiting for jobs to finish…' });
  await sleep(200);
  for (const j of [...running]) {
    j.processed = Math.min(j.rows, j.processed + j.speed);
    if (j.batch === 3) j.failed = Math.floor(j.processed / 200);
    const aborted = j.batch === 5 && j.processed >= 400;
    reporter.handle({
      type: 'job-progress',
      progress: {
        batch: j.batch,
        jobId: j.jobId,
        state: 'In Progress',
        total: j.rows,
        processed: j.processed,
        succeeded: j.processed - j.failed,
        failed: j.failed,
      },
    });
    if (j.processed === j.rows || aborted) {
      running = running.filter((r) => r !== j);
      const unprocessed = j.rows - j.processed;
      const succeeded = j.processed - j.failed;
      counts.stored += succeeded;
      counts.failed += j.failed;
      counts.unprocessed += unprocessed;
      const aggregates = aborted
        ? null
        : {
            total_amount: (succeeded * 150.1).toFixed(2),
            average_amount: '150.10',
            transaction_count: j.processed,
            successful_transactions: succeeded,
            failed_transactions: j.failed,
          };
      const firstErrors = Array.from({ length: Math.min(j.failed, 10) }, (_, i) => ({
        file,
        line: j.firstLine + 15 + i * 97,
        field: i % 2 ? 'transaction_date' : 'amount',
        reason: i % 2 ? 'must be a date (YYYY-MM-DD)' : 'must be a decimal number',
      }));
      const outcome = {
        batch: j.batch,
        jobId: j.jobId,
        state: aborted ? 'Aborted' : 'Job Complete',
        total: j.rows,
        processed: j.processed,
        succeeded,
        failed: j.failed,
        origin: { batch: j.batch, file, firstLine: j.firstLine, lastLine: j.lastLine, rows: j.rows },
        aggregates,
        firstErrors,
        jobErrors: aborted ? ['Job aborted on request'] : [],
        unprocessed,
      };
      outcomes.push(outcome);
      reporter.handle({ type: 'job-finished', outcome });
      if (aborted)
        reporter.handle({
          type: 'warning',
          text: 'job of batch 5 was aborted by someone else: its rows are counted as unprocessed',
        });
    }
  }
  emitCounts();
}

const elapsedMs = Date.now() - started;
reporter.finish({
  status: 'stopped',
  exitCode: 3,
  counts: { read: counts.read, stored: counts.stored, failed: counts.failed, unprocessed: counts.unprocessed },
  jobs: jobs.length,
  elapsedMs,
  rowsPerSecond: Math.round((counts.read / elapsedMs) * 1000),
  aggregates: combineAggregates(outcomes),
  failedRowsFile: 'transactions.failed-20261128T140305Z-3f9a2c.csv',
  resumeCommand: 'bulk upload --resume 20261128T140305Z-3f9a2c',
  message: 'job 5 was aborted',
});
reporter.close();
