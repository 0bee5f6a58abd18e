/**
 * Content types a bulk start request's body may have: the guide's JSON array, and (ext) NDJSON and
 * CSV where a server lists them in `body_types` (its start response and its resource descriptions).
 * A CSV body is RFC 4180 with a header row of field names; every value in it is text.
 */
export const BULK_BODY_TYPES = ['application/json', 'application/x-ndjson', 'text/csv'] as const;
export type BulkBodyType = (typeof BULK_BODY_TYPES)[number];
export const CSV_BODY_TYPE: BulkBodyType = 'text/csv';
