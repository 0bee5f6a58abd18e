// Which body a file's batches go as: CSV (ext) where the server takes it for the resource and the
// rows are text, as a CSV file's are; and, for a canonical file, its own bytes.
import { canonicalHeader, openCsvSlabs } from '../../input/canonical-csv.js';
import { isFastPathDialect } from '../../input/csv-dialect.js';
import type { InputSource } from '../../input/open-input.js';
import { DEFAULT_RECORD_LIMITS } from '../../input/record-limits.js';
import { CSV_BODY_TYPE, type ResourceDescription } from '../../protocol/index.js';
import type { UploadOptions } from '../plan/upload-options.js';

/**
 * CSV bodies for a CSV input whose server lists `text/csv` for the resource. Not for a dry run or
 * a delete (their batches ask other questions of the server). A batch with a value CSV cannot
 * carry (a null, a number) goes as JSON all the same (batch.ts).
 */
export function csvBodiesFor(
  opts: Pick<UploadOptions, 'dryRun' | 'delete'>,
  opened: InputSource,
  description: ResourceDescription | null,
): boolean {
  return (
    opened.format === 'csv' && !opts.dryRun && !opts.delete && Boolean(description?.body_types?.includes(CSV_BODY_TYPE))
  );
}

/**
 * The file as byte ranges when it is canonical (a file on disk, uncompressed, UTF-8, the default
 * dialect, no --map or value conversion, a header naming only the resource's fields), else null.
 * Its `opened` source is closed then.
 */
export async function openCanonical(
  opts: Pick<UploadOptions, 'encoding' | 'csv' | 'columnMap' | 'limits'>,
  opened: InputSource,
  description: ResourceDescription,
  delimiter: string | undefined,
): Promise<InputSource | null> {
  if (opened.file === '-' || opened.compressed || (opts.encoding ?? 'utf8') !== 'utf8') return null;
  if (Object.keys(opts.columnMap ?? {}).length > 0) return null;
  if (delimiter !== ',' || !isFastPathDialect({ ...opts.csv, delimiter })) return null;
  const header = await canonicalHeader(opened.file, new Set(description.fields.map((f) => f.name)));
  if (!header) return null;
  await opened.close();
  return openCsvSlabs(opened, header, opts.limits?.maxRecordChars ?? DEFAULT_RECORD_LIMITS.maxRecordChars);
}
