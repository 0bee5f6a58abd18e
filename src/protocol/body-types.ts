/**
 * Content types a bulk start request's body may have: the guide's JSON array, and NDJSON (ext) where a server lists it
 * in the start response's `body_types`.
 */
export const BULK_BODY_TYPES = ['application/json', 'application/x-ndjson'] as const;
export type BulkBodyType = (typeof BULK_BODY_TYPES)[number];
