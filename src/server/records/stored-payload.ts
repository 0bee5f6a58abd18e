/** A stored job body back into its records, whichever body type it was kept as (JSON array or marked CSV). */
import { CSV_PAYLOAD_MARK, csvRecordsOfPayload } from './csv-records.js';
import { recordsOfPayload, type RecordSource } from './json-records.js';

export function recordsOfStored(text: string): RecordSource {
  return text.startsWith(CSV_PAYLOAD_MARK) ? csvRecordsOfPayload(text) : recordsOfPayload(text);
}
