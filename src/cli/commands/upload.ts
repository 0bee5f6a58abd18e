import { Command, Option } from 'commander';
import { addInputOptions, type InputFlags } from '../input-flags.js';
import { fieldList, increaseVerbosity, maxErrors, nonNegativeSeconds, positiveInteger, recordSize } from '../options.js';

export interface UploadCommandOptions extends InputFlags {
  url?: string;
  resource?: string;
  format?: 'csv' | 'json' | 'ndjson';
  encoding?: 'utf8' | 'utf16le' | 'latin1';
  batchSize?: number;
  concurrency?: number;
  upsert?: boolean;
  uniqueFields?: string[];
  updateFields?: string[];
  json?: boolean;
  quiet?: boolean;
  verbose: number;
  color: boolean;
  progressInterval: number;
  maxErrors?: { count?: number; percent?: number };
  dryRun?: boolean;
  wait: boolean;
  events: boolean;
  deadline: number;
  timeout: number;
  db?: string;
  failedRowsDir?: string;
  profile?: string;
  config?: string;
  tokenFile?: string;
  /** A run id, or true for the newest run. */
  resume?: string | true;
  maxRecordSize?: number;
  maxDepth?: number;
}

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
    .description('Stream files into the job API in batches, watch each job, and report rows stored and rows rejected by line')
    .argument('[file...]', 'CSV, JSON array or NDJSON files; - reads stdin (needs --format)')
    .addHelpText('before', EXAMPLES)
    .addOption(new Option('--url <url>', 'job API base URL; without it an embedded server runs on --db').env('BULK_URL'))
    .option('--resource <name>', "resource to load into (default: each file's name without extension)")
    .addOption(new Option('--format <format>', 'input format (default: from the file extension)').choices(['csv', 'json', 'ndjson']))
    .addOption(new Option('--encoding <encoding>', 'input text encoding').choices(['utf8', 'utf16le', 'latin1']).default('utf8'))
    .addOption(new Option('--batch-size <rows>', 'rows per job (default 5000)').argParser(positiveInteger).env('BULK_BATCH_SIZE'))
    .addOption(new Option('--concurrency <jobs>', 'jobs in flight at once (default 4)').argParser(positiveInteger).env('BULK_CONCURRENCY'))
    .addOption(new Option('--max-record-size <size>', 'largest record (NDJSON line, JSON element, CSV record); a longer JSON one fails alone (default 16MiB)').argParser(recordSize))
    .addOption(new Option('--max-depth <levels>', 'deepest nesting of objects and arrays in a JSON record; a deeper one fails alone (default 32)').argParser(positiveInteger))
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
    .addOption(new Option('--progress-interval <seconds>', 'off a terminal: seconds between progress lines').argParser(nonNegativeSeconds).default(5))
    .addOption(new Option('--deadline <seconds>', 'how long a failing request keeps retrying before bulk gives up (exit 4)').argParser(nonNegativeSeconds).default(300))
    .addOption(new Option('--timeout <seconds>', 'per-request timeout').argParser(nonNegativeSeconds).default(30))
    .addOption(new Option('--db <path>', 'embedded server only: its SQLite database (default: see bulk serve --help)').env('BULK_DB'))
    .option('--failed-rows-dir <dir>', 'where failed-rows files go (default: beside each input)')
    .addOption(new Option('--profile <name>', 'config file profile to use').env('BULK_PROFILE'))
    .addOption(new Option('--config <file>', 'config file (default: ./bulk.config.json, then ~/.config/bulk/config.json)').env('BULK_CONFIG'))
    .addOption(new Option('--token-file <path>', 'file holding the API token (or BULK_TOKEN)').env('BULK_TOKEN_FILE'))
    .action(async (files: string[], options: UploadCommandOptions) => {
      const { runUploadCommand } = await import('../run-upload-command.js');
      process.exitCode = await runUploadCommand(files, options);
    });
  return addInputOptions(cmd);
}

/** What a run keeps in its checkpoint: a resume takes them from there, not from flags. */
const RUN_SETTINGS = [
  ...['--resume', '--dry-run', '--upsert', '--unique-fields', '--update-fields', '--resource', '--format', '--encoding', '--batch-size', '--max-record-size', '--max-depth'],
  ...['--delimiter', '--quote', '--escape', '--comment', '--skip-lines', '--no-header', '--columns', '--trim', '--null-value', '--map', '--ignore-unknown'],
];

/** `bulk resume [run-id]`: the same as `bulk upload --resume [run-id]`. */
export function resumeCommand(): Command {
  const cmd = uploadCommand();
  const resume = new Command('resume')
    .description('finish an earlier upload that stopped: re-attach to its jobs, resend what was not confirmed, send the rest')
    .addHelpText('before', '\nExamples:\n  $ bulk resume                          # the newest run\n  $ bulk resume 20261128T140305Z-3f9a2c --json\n')
    .argument('[run-id]', 'the run to finish (default: the newest)');
  for (const opt of cmd.options) {
    if (RUN_SETTINGS.includes(opt.long ?? '')) continue;
    resume.addOption(opt);
  }
  return resume.action(async (runId: string | undefined, options: UploadCommandOptions) => {
    const { runUploadCommand } = await import('../run-upload-command.js');
    process.exitCode = await runUploadCommand([], { ...options, resume: runId ?? true });
  });
}
