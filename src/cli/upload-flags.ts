/**
 * `bulk upload` and `bulk resume` flags, checked and turned into the core's request: pure, so
 * every flag's path into runUpload is tested without a server (test/cli/upload-flags.test.ts).
 */
import type { ResolvedConfig } from '../config/resolve-config.js';
import { DEFAULT_RECORD_LIMITS } from '../input/record-limits.js';
import { BulkError } from '../errors/bulk-error.js';
import type { UploadRequest } from '../upload/run-upload.js';
import { formatSettings, inputSettings, type InputFlags } from './input-flags.js';
import type { ValueFormats } from '../upload/plan/value-formats.js';

export interface UploadFlags extends InputFlags {
  url?: string;
  resource?: string;
  format?: 'csv' | 'json' | 'ndjson';
  /** A WHATWG encoding label (text-codec.ts); a byte order mark overrides it. */
  encoding?: string;
  batchSize?: number;
  concurrency?: number;
  upsert?: boolean;
  /** `bulk delete`: the rows' keys name records to delete. */
  delete?: boolean;
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
  maxAnswerSize?: number;
  /** Seconds. */
  stallTimeout?: number;
  resendUnconfirmed?: boolean;
}

/** Combinations no single flag's parser can see. */
export function checkUploadFlags(files: string[], flags: UploadFlags): void {
  if (flags.resume !== undefined) {
    if (files.length > 0)
      throw new BulkError(
        'usage',
        '--resume takes a run id, not files: the files come from the run',
        'e.g. bulk upload --resume 20261128T140305Z-3f9a2c',
      );
    return;
  }
  if (files.length === 0) throw new BulkError('usage', 'no input files given', 'e.g. bulk upload transactions.csv');
  if (flags.delete) {
    if (!flags.uniqueFields)
      throw new BulkError(
        'usage',
        'bulk delete needs --unique-fields: the key that names each record to delete',
        'e.g. bulk delete gone.csv --unique-fields account_id,transaction_date,description',
      );
  } else if (flags.upsert && !flags.uniqueFields)
    throw new BulkError(
      'usage',
      '--upsert needs --unique-fields',
      'e.g. --upsert --unique-fields account_id,transaction_date,description',
    );
  else if (!flags.upsert && (flags.uniqueFields || flags.updateFields))
    throw new BulkError('usage', '--unique-fields and --update-fields go with --upsert');
  if (files.includes('-') && !flags.format)
    throw new BulkError('usage', 'reading stdin (-) needs --format csv|json|ndjson');
}

/**
 * What the core needs from the flags and the resolved configuration (batch size and concurrency come from the latter
 * only).
 */
export type UploadCommandRequest = Omit<
  UploadRequest,
  'connect' | 'emit' | 'stopSignal' | 'signalReceived' | 'startedAt'
>;

export function uploadRequest(
  files: string[],
  flags: UploadFlags,
  config: Pick<ResolvedConfig, 'url' | 'batchSize' | 'concurrency' | 'columns'> & { formats?: ValueFormats },
): UploadCommandRequest {
  checkUploadFlags(files, flags);
  const input =
    flags.resume === undefined
      ? inputSettings(flags, config.columns)
      : { csv: undefined, columnMap: undefined, ignoreUnknown: undefined };
  const formats = flags.resume === undefined ? formatSettings(flags, config.formats) : undefined;
  return {
    files,
    resume: flags.resume,
    resource: flags.resource,
    format: flags.format,
    encoding: flags.encoding,
    limits: {
      maxRecordChars: flags.maxRecordSize ?? DEFAULT_RECORD_LIMITS.maxRecordChars,
      maxDepth: flags.maxDepth ?? DEFAULT_RECORD_LIMITS.maxDepth,
    },
    ...input,
    formats,
    batchSize: config.batchSize,
    concurrency: config.concurrency,
    concurrencyGiven: flags.concurrency !== undefined,
    upsert:
      flags.upsert && !flags.delete
        ? { uniqueFields: flags.uniqueFields ?? [], updateFields: flags.updateFields }
        : undefined,
    delete: flags.delete ? { uniqueFields: flags.uniqueFields ?? [] } : undefined,
    failedRowsDir: flags.failedRowsDir,
    maxErrors: flags.maxErrors,
    dryRun: flags.dryRun,
    noWait: !flags.wait,
    useEvents: flags.events,
    stallMs: flags.stallTimeout === undefined ? undefined : flags.stallTimeout * 1000,
    resendUnconfirmed: flags.resendUnconfirmed,
    target: { url: config.url, db: flags.db ?? null },
  };
}
