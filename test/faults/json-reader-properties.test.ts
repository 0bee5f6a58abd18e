// The fault tier's run of the JSON reader properties: many more generated files than npm test
// reads (test/input/json-reader-properties.test.ts). BULK_FC_RUNS overrides the count.
import { describe, it } from 'vitest';
import { jsonArrayProperty, ndjsonProperty } from '../input/json-reader-properties.js';

const RUNS = Number(process.env.BULK_FC_RUNS ?? 10_000);

describe('JSON readers against JSON.parse, many generated files', () => {
  it('NDJSON', () => ndjsonProperty(RUNS), 600_000);
  it('JSON array', () => jsonArrayProperty(RUNS), 600_000);
});
