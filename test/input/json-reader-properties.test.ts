import { describe, expect, it } from 'vitest';
import { jsonArrayProperty, ndjsonProperty } from './json-reader-properties.js';
import { readChunks, shape } from './read-helpers.js';

/** A few hundred generated files per reader here; many more in the fault tier (BULK_FC_RUNS overrides both). */
const RUNS = Number(process.env.BULK_FC_RUNS ?? 150);

describe('JSON readers against JSON.parse, on generated files', () => {
  it('NDJSON: the same records on the same lines; over-limit lines fail alone', () => ndjsonProperty(RUNS), 60_000);
  it(
    'JSON array: the same records on the same lines; over-limit elements fail alone',
    () => jsonArrayProperty(RUNS),
    60_000,
  );
});

/** Shrunk counterexamples, kept by name: each once failed the properties above. */
describe('JSON readers: shrunk counterexamples', () => {
  const limits = { maxRecordChars: 40, maxDepth: 1 };
  const bytes = (text: string) => [...Buffer.from(text)].map((b) => Buffer.from([b]));

  it('{"":{}} under a depth limit of 1 fails as too deep (the readers before the limits stored it)', async () => {
    const { items } = await readChunks(bytes('{"":{}}'), 'ndjson', { sniffed: true, limits });
    expect(shape(items)).toEqual([[1, 'nested more than 1 levels deep, the limit (raise it with --max-depth)']]);
  });

  it('a JSON array element one character over the size limit fails alone (the readers before the limits stored it)', async () => {
    const element = `{"s":"${'x'.repeat(33)}"}`; // 41 characters
    const { items, error } = await readChunks(bytes(`[${element}\n]\n`), 'json', { sniffed: true, limits });
    expect(error).toBeNull();
    expect(shape(items)).toEqual([
      [1, 'the record is longer than 40 characters, the limit (raise it with --max-record-size)'],
    ]);
  });

  it('an NDJSON line exactly at the limit, its CR and LF in different chunks, is a row (found against a reader that counted the CR)', async () => {
    const line = `{"s":"${'x'.repeat(32)}"}`; // 40 characters
    const { items } = await readChunks(bytes(`${line}\r\n{"a":1}`), 'ndjson', { sniffed: true, limits });
    expect(shape(items)).toEqual([
      [1, { s: 'x'.repeat(32) }],
      [2, { a: 1 }],
    ]);
  });

  it('a flat element laid out over three lines, read a byte at a time, is a row under a depth limit of 1 (found against a scanner that counted one level too many)', async () => {
    const { items } = await readChunks(bytes(`[${JSON.stringify({ s: 'x'.repeat(20) }, null, 1)}\n]\n`), 'json', {
      sniffed: true,
      limits,
    });
    expect(shape(items)).toEqual([[1, { s: 'x'.repeat(20) }]]);
  });
});
