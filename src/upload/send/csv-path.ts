// Which body a file's batches go as: CSV (ext) where the server takes it for the resource and the
// rows are text, as a CSV file's are; and, for a canonical file, its own bytes.
import { canonicalHeader, openCsvSlabs } from '../../input/canonical-csv.js';
import { isFastPathDialect } from '../../input/csv-dialect.js';
import type { InputSource, TextLayout } from '../../input/open-input.js';
import { DEFAULT_RECORD_LIMITS } from '../../input/record-limits.js';
import { CSV_BODY_TYPE, type ResourceDescription } from '../../protocol/index.js';
import type { CsvDialect } from '../../input/csv-dialect.js';
import type { RunPlan } from '../plan/run-plan.js';

/**
 * CSV bodies for a CSV input whose server lists `text/csv` for the resource. Not for a dry run or
 * a delete (their batches ask other questions of the server). A batch with a value CSV cannot
 * carry (a null, a number) goes as JSON all the same (batch.ts).
 */
export function csvBodiesFor(
  opts: Pick<RunPlan, 'dryRun' | 'delete'>,
  opened: InputSource,
  description: ResourceDescription | null,
): boolean {
  return (
    opened.format === 'csv' && !opts.dryRun && !opts.delete && Boolean(description?.body_types?.includes(CSV_BODY_TYPE))
  );
}

/**
 * The file as byte ranges when it is canonical (a file on disk, uncompressed, UTF-8, the default
 * dialect, no --map, a header naming only the resource's fields; the caller checks that no value
 * conversion applies), else null.
 * Its `opened` source is closed then.
 */
export async function openCanonical(
  opts: Pick<RunPlan, 'columnMap' | 'limits'>,
  opened: InputSource,
  description: ResourceDescription,
  read: { dialect: CsvDialect | undefined; layout: TextLayout },
): Promise<InputSource | null> {
  if (opened.file === '-' || opened.compressed) return null;
  // Read as UTF-8 (as given, or by its byte order mark), without an Excel `sep=` line.
  if (read.layout.encoding !== 'utf-8' || read.layout.sepLine !== undefined) return null;
  if (Object.keys(opts.columnMap ?? {}).length > 0) return null;
  if (read.dialect?.delimiter !== ',' || !isFastPathDialect(read.dialect)) return null;
  const columns = await canonicalHeader(opened.file, new Set(description.fields.map((f) => f.name)));
  if (!columns) return null;
  await opened.close();
  return openCsvSlabs(
    opened,
    columns,
    read.layout,
    opts.limits?.maxRecordChars ?? DEFAULT_RECORD_LIMITS.maxRecordChars,
  );
}
