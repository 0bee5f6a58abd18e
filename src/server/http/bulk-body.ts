/**
 * Reads a bulk request body into its records, whichever body type it came as: the guide's JSON
 * array, NDJSON (one record a line), which needs no enclosing array and streams from a client
 * without one, or CSV (a header of field names, values as text), which a client sends from a CSV
 * file's own lines. The records and their indexes are the same either way.
 */
import type { BulkBodyType as BodyType } from '../../protocol/index.js';
import {
  checkedRecords,
  parseRecords,
  RecordsError,
  type RecordLimits,
  type RecordSource,
} from '../records/json-records.js';
import { CSV_PAYLOAD_MARK, parseCsvRecords } from '../records/csv-records.js';
import { HttpError } from './http-io.js';

/** The body type named by a Content-Type header; anything else (or none) is the guide's JSON. */
export function bodyTypeOf(contentType: string | undefined): BodyType {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (media === 'text/csv') return 'text/csv';
  return media === 'application/x-ndjson' || media === 'application/ndjson'
    ? 'application/x-ndjson'
    : 'application/json';
}

/**
 * The records, checked against the limits, and the payload to keep with the job: a JSON array for
 * JSON and NDJSON; for CSV the body itself, marked (see {@link CSV_PAYLOAD_MARK}) so a job resumed
 * from the database is read as it came. An NDJSON line that does not parse is a 400 naming its
 * item index (blank lines are not items).
 */
export function parseBulkBody(
  type: BodyType,
  body: string,
  limits: RecordLimits,
): { records: RecordSource; payload: string } {
  try {
    if (type === 'application/json') return { records: parseRecords(body, limits), payload: body };
    if (type === 'text/csv') return { records: parseCsvRecords(body, limits), payload: CSV_PAYLOAD_MARK + body };
    const records: unknown[] = [];
    const lines: string[] = [];
    let start = 0;
    while (start <= body.length) {
      let end = body.indexOf('\n', start);
      if (end < 0) end = body.length;
      const line = body.slice(start, end);
      start = end + 1;
      if (line.trim() === '') continue;
      try {
        records.push(JSON.parse(line));
      } catch (err) {
        throw new HttpError(400, `Malformed NDJSON at item ${records.length}: ${(err as Error).message}`, {
          index: records.length,
        });
      }
      lines.push(line);
    }
    return { records: checkedRecords(records, limits, body.length), payload: `[${lines.join(',')}]` };
  } catch (err) {
    if (err instanceof RecordsError) throw new HttpError(err.status, err.message, err.extra);
    throw err;
  }
}
