// What sending a run's files is asked to do: the options of sendFiles(), from inputs and batching to limits.
import type { CsvDialect } from '../../input/csv-dialect.js';
import type { InputFormat } from '../../input/input-item.js';
import type { RecordLimits } from '../../input/record-limits.js';
import type { DeleteByKey, JobApiClient } from '../../client/job-api-client.js';
import type { Checkpoint } from '../state/checkpoint.js';
import type { CheckpointWriter } from '../state/checkpoint-writer.js';
import type { UploadListener } from '../upload-events.js';
import type { ValueFormats } from './value-formats.js';

export interface UploadOptions {
  files: string[];
  format?: InputFormat;
  /** A WHATWG encoding label (text-codec.ts); a byte order mark overrides it. */
  encoding?: string;
  /** How large and how deep one record may be. @default DEFAULT_RECORD_LIMITS */
  limits?: RecordLimits;
  /** How CSV files are written (delimiter, quote, comments, preamble, header, null text). */
  csv?: CsvDialect;
  /** Source column (or JSON key) → resource field. */
  columnMap?: Record<string, string>;
  /** How the files write numbers, dates and booleans, when not as the server does. */
  formats?: ValueFormats;
  /** Columns the resource does not have are left out instead of refusing the file. */
  ignoreUnknown?: boolean;
  /** Resource name; default: each file's stem (`transactions.csv` → `transactions`). */
  resource?: string;
  /** @default 5000 */
  batchSize: number;
  /** Jobs out at once. @default 4 */
  concurrency: number;
  /** When given, the jobs out at once follow it (at most `concurrency`): it adapts to the link. */
  concurrencyLimit?: { readonly current: number };
  upsert?: { uniqueFields: string[]; updateFields?: string[] };
  /** Delete by these key fields: each row goes as its key fields only, checked client-side first. */
  delete?: DeleteByKey;
  client: JobApiClient;
  /** The run's checkpoint: a fresh one, or the checkpoint of the run being resumed. */
  checkpoint: Checkpoint;
  /** Saves the checkpoint; absent for runs that cannot be resumed (stdin, dry run). */
  checkpointWriter?: CheckpointWriter;
  emit: UploadListener;
  /** Aborted on Ctrl-C/SIGTERM: stop reading, let requests in flight finish. */
  stopSignal?: AbortSignal;
  /** After a stop signal, how long to keep following jobs already submitted. @default 10000 */
  stopGraceMs?: number;
  /** Stop sending once this many rows failed (count) or this share of rows read (percent). */
  maxErrors?: { count?: number; percent?: number };
  /** Where failed-rows files go; default beside each input. */
  failedRowsDir?: string;
  /**
   * Where stdin's rows are kept for a resume (a resumable run that reads stdin), and whether this
   * run writes the spool (reading stdin) or reads it (a resume).
   */
  stdinSpool?: { path: string; resume: boolean };
  /** A file in the run's directory naming each failed-rows file as it is chosen (resumable runs). */
  failedRowsClaims?: string;
  dryRun?: boolean;
  /** Submit only; do not wait for jobs to finish. */
  noWait?: boolean;
  useEvents?: boolean;
  /** Gives up on a job whose progress has not moved for this long (--stall-timeout). @default 10 min */
  stallMs?: number;
  /** A resume sends batches still unconfirmed after asking again, even where that could store rows twice. */
  resendUnconfirmed?: boolean;
}
