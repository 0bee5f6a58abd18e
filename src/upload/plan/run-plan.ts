/**
 * The run plan: every setting of an upload, resolved once (resolve-run-plan.ts) from flags, the
 * environment, the config profile and the defaults, or taken from the checkpoint of the run being
 * resumed. Everything downstream reads it as it is and never merges settings again; the checkpoint
 * keeps it whole, so a resume reads its files exactly as the run did. A new upload flag goes into
 * RunFlags, the plan and resolveRunPlan, and is read where it is used.
 */
import type { DeleteByKey } from '../../client/job-api-client.js';
import type { CsvDialect } from '../../input/csv-dialect.js';
import type { InputEncoding, InputFormat } from '../../input/input-item.js';
import type { RecordLimits } from '../../input/record-limits.js';
import type { MaxErrors } from '../state/stop-policy.js';
import type { ValueFormats } from './value-formats.js';

export interface RunPlan {
  /** The inputs, as given ('-' is stdin). */
  files: string[];
  /** The resource every file goes to; undefined: each file's stem (`transactions.csv` → `transactions`). */
  resource?: string;
  /** undefined: from each file's extension. */
  format?: InputFormat;
  encoding?: InputEncoding;
  /** How large and how deep one record may be: fixed for the run, or a resume's batches (and keys) differ. */
  limits: RecordLimits;
  /** How the CSV inputs are written, as given. */
  csv?: CsvDialect;
  /**
   * Per input (by index), its CSV dialect once its header was read: `csv` with the delimiter as
   * given or detected, so the run and any resume read the file exactly so (and detect nothing again).
   */
  dialects?: (CsvDialect | null)[];
  /** Source column (or JSON key) → resource field: the profile's `columns` with `--map` laid over. */
  columnMap?: Record<string, string>;
  /** Columns the resource does not have are left out instead of refusing the file. */
  ignoreUnknown?: boolean;
  /** How values are written (locale, date patterns, …): the format flags laid over the profile's. */
  formats?: ValueFormats;
  batchSize: number;
  /** Jobs in flight at most (fewer while the link is slow). */
  concurrency: number;
  upsert?: { uniqueFields: string[]; updateFields?: string[] };
  /** A delete run: the rows' keys name records to delete; only the key fields are sent. */
  delete?: DeleteByKey;
  /** Where failed-rows files go; undefined: beside each input. */
  failedRowsDir?: string;
  maxErrors?: MaxErrors;
  dryRun: boolean;
  /** Submit only; do not wait for the jobs to finish. */
  noWait: boolean;
  /** Follow jobs by their server events (else poll). */
  useEvents: boolean;
  /** Gives up on a job whose progress has not moved for this long (--stall-timeout; 0: never). @default 10 min */
  stallMs?: number;
  /** The largest answer (JSON body, event line) read from the server (--max-answer-size). @default 64 MiB */
  maxAnswerBytes?: number;
  /** A resume sends batches still unconfirmed after asking again, even where that could store rows twice. */
  resendUnconfirmed?: boolean;
  /**
   * Where the run is sent: a job API URL, or (null) the embedded server on `database` (null: the
   * default database). A run's checkpoint keeps where it actually went.
   */
  target: { url: string | null; database: string | null };
}

/** The upload flags a plan is made from, as the command line gives them (named as commander names them). */
export interface RunFlags extends CsvDialect {
  files: string[];
  url?: string;
  resource?: string;
  format?: InputFormat;
  encoding?: InputEncoding;
  batchSize?: number;
  concurrency?: number;
  upsert?: boolean;
  /** `bulk delete`: the rows' keys name records to delete. */
  delete?: boolean;
  uniqueFields?: string[];
  updateFields?: string[];
  maxErrors?: MaxErrors;
  dryRun?: boolean;
  /** false: `--no-wait`. */
  wait?: boolean;
  /** false: `--no-events`. */
  events?: boolean;
  /** Seconds (--stall-timeout). */
  stallTimeout?: number;
  /** Bytes (--max-answer-size). */
  maxAnswerSize?: number;
  resendUnconfirmed?: boolean;
  db?: string;
  failedRowsDir?: string;
  maxRecordSize?: number;
  maxDepth?: number;
  map?: Record<string, string>;
  ignoreUnknown?: boolean;
  locale?: string;
  decimalSeparator?: string;
  /** Repeatable: tried in order. */
  dateFormat?: string[];
  datetimeFormat?: string[];
  timezone?: string;
  trueValues?: string[];
  falseValues?: string[];
}

/** The flags that make a CSV dialect, under the dialect's own names. */
export const DIALECT_KEYS = [
  'delimiter',
  'quote',
  'escape',
  'comment',
  'skipLines',
  'header',
  'columns',
  'trim',
  'nullValue',
] as const satisfies readonly (keyof CsvDialect & keyof RunFlags)[];

/**
 * The flags `bulk resume` does not offer: how a run reads and sends its files, which a resume takes
 * from the checkpoint (`bulk upload --resume` leaves them as the run had them), and `--dry-run`
 * (a dry run keeps no checkpoint). Every other plan flag (where to send, how many jobs at once,
 * when to stop, whether to wait) is this invocation's.
 */
export const RUN_SETTING_FLAGS: readonly (keyof RunFlags)[] = [
  'dryRun',
  'upsert',
  'uniqueFields',
  'updateFields',
  'resource',
  'format',
  'encoding',
  'batchSize',
  'maxRecordSize',
  'maxDepth',
  ...DIALECT_KEYS,
  'map',
  'ignoreUnknown',
  'locale',
  'decimalSeparator',
  'dateFormat',
  'datetimeFormat',
  'timezone',
  'trueValues',
  'falseValues',
];

/** The dialect input `i` is read with: its own once its header was read, else the one given. */
export function dialectOf(plan: RunPlan, i: number): CsvDialect | undefined {
  return plan.dialects?.[i] ?? plan.csv;
}
