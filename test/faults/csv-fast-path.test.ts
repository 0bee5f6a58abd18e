// The fault tier's run of the CSV fast-path properties: many more generated files than npm test
// reads (test/input/csv-records.test.ts). BULK_FC_RUNS overrides the count.
import { describe, it } from 'vitest';
import { dialectLinesProperty, fastPathProperty } from '../input/csv-records-properties.js';

const RUNS = Number(process.env.BULK_FC_RUNS ?? 10_000);

describe('the CSV fast path against csv-parse, many generated files', () => {
  it('the splitter gives exactly csv-parse records and first lines', () => fastPathProperty(RUNS), 600_000);
  it('csv-parse first lines in a dialect with comments and a preamble', () => dialectLinesProperty(RUNS), 600_000);
});
