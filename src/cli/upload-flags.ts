/**
 * `bulk upload` and `bulk resume` flags as commander hands them over, and the combinations of them
 * no single flag's parser can see. The plan they make is resolveRunPlan's (upload/plan/).
 */
import { BulkError } from '../errors/bulk-error.js';
import type { RunFlags } from '../upload/plan/run-plan.js';
import { checkInputFlags } from './input-flags.js';

/** The plan's flags (run-plan.ts), and those of this invocation alone: output, connection, resume. */
export interface UploadFlags extends Omit<RunFlags, 'files'> {
  json?: boolean;
  quiet?: boolean;
  verbose: number;
  color: boolean;
  progressInterval: number;
  wait: boolean;
  events: boolean;
  deadline: number;
  timeout: number;
  profile?: string;
  config?: string;
  tokenFile?: string;
  /** A run id, or true for the newest run. */
  resume?: string | true;
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
  checkInputFlags(flags);
}
