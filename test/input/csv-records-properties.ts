// The fast-path properties: the splitter against csv-parse on generated files, and csv-parse's
// first lines in other dialects. npm test runs few cases (test/input/csv-records.test.ts), the
// fault tier many (test/faults/csv-fast-path.test.ts).
import fc from 'fast-check';
import { expect } from 'vitest';
import { CsvReadError, parsedRecords, splitRecords, type CsvRecord } from '../../src/input/csv-records.js';
import type { CsvDialect } from '../../src/input/csv-dialect.js';

interface Outcome {
  records: CsvRecord[];
  error: { code: string; line: number } | null;
}

export async function collect(source: AsyncGenerator<CsvRecord[]>): Promise<Outcome> {
  const records: CsvRecord[] = [];
  try {
    for await (const batch of source) records.push(...batch);
  } catch (err) {
    if (!(err instanceof CsvReadError)) throw err;
    return { records, error: { code: err.code, line: err.line } };
  }
  return { records, error: null };
}

async function* chunked(text: string, cuts: number[]): AsyncGenerator<string> {
  let at = 0;
  for (const cut of [...cuts, text.length]) {
    if (cut > at) yield text.slice(at, cut);
    at = Math.max(at, cut);
  }
}

export const fast = (text: string, cuts: number[]) => collect(splitRecords(chunked(text, cuts), 1 << 24));
export const parsed = (text: string, cuts: number[], d: CsvDialect = { delimiter: ',' }) =>
  collect(parsedRecords(chunked(text, cuts), d, d.delimiter ?? ',', 1 << 24));

const piece = fc.constantFrom(
  'a',
  'b',
  'Zürich',
  '✓',
  ' ',
  '1.50',
  ',',
  '"',
  '""',
  '\n',
  '\r\n',
  '12" screen',
  '',
  '#',
  ';',
);

/** A value as a writer would put it in a file: quoted when it must be, sometimes when it need not be; rarely text after its closing quote. */
const cell = fc.tuple(fc.array(piece, { maxLength: 4 }), fc.nat(9)).map(([parts, r]) => {
  const v = parts.join('');
  const needs = /[",\r\n]/.test(v);
  // A stray quote in a value that needs no other quoting stays unquoted sometimes (csv-parse's relax_quotes).
  if (needs && /^[^,\r\n"]*"[^,\r\n"]*$/.test(v) && !v.startsWith('"') && r < 4) return v;
  if (r === 9 && parts.length === 1) return `"${v.replace(/"/g, '""')}"junk`;
  return needs || r === 0 ? `"${v.replace(/"/g, '""')}"` : v;
});

/** A file: rows of cells, LF or CRLF endings, sometimes no final line break or a bare CR, sometimes an unclosed quote at the end. */
const csvFile = fc
  .tuple(
    fc.array(fc.tuple(fc.array(cell, { minLength: 1, maxLength: 5 }), fc.boolean()), { minLength: 1, maxLength: 12 }),
    fc.constantFrom('full', 'no-final-newline', 'bare-cr', 'unclosed'),
  )
  .map(([rows, end]) => {
    let text = rows.map(([cells, crlf]) => cells.join(',') + (crlf ? '\r\n' : '\n')).join('');
    if (end === 'no-final-newline') text = text.replace(/\r?\n$/, '');
    if (end === 'bare-cr') text = text.replace(/\r?\n$/, '\r');
    if (end === 'unclosed') text += 'x,"never closed\nmore\n';
    return text;
  });

const withCuts = csvFile.chain((text) =>
  fc.tuple(
    fc.constant(text),
    fc.array(fc.nat(text.length), { maxLength: 5 }).map((c) => c.sort((a, b) => a - b)),
  ),
);

/** The splitter gives exactly csv-parse's records and first lines, however the text is cut. */
export function fastPathProperty(numRuns: number, seed?: number): Promise<void> {
  return fc.assert(
    fc.asyncProperty(withCuts, async ([text, cuts]) => {
      expect(await fast(text, cuts)).toEqual(await parsed(text, []));
    }),
    { numRuns, seed },
  );
}

/** In a dialect with comments, a preamble, LF or CRLF: each record's first line, counted by hand. */
export async function dialectLinesProperty(numRuns: number, seed?: number): Promise<void> {
  const dialectFile = fc
    .tuple(
      fc.array(
        fc.oneof(
          fc.constant('# note'),
          fc.constant(''),
          fc
            .array(fc.constantFrom('v', 'x y', '"q;\nr"', '"s""t"'), { minLength: 1, maxLength: 3 })
            .map((c) => c.join(';')),
        ),
        { minLength: 1, maxLength: 10 },
      ),
      fc.nat(2),
      fc.constantFrom('\n', '\r\n'),
      fc.array(fc.nat(400), { maxLength: 4 }),
    )
    .map(([lines, skip, eol, cuts]) => ({
      text: [...Array.from({ length: skip }, (_, i) => `pre ${i}`), ...lines].join(eol) + eol,
      skip,
      lines,
      cuts: cuts.sort((a, b) => a - b),
    }));
  await fc.assert(
    fc.asyncProperty(dialectFile, async ({ text, skip, lines, cuts }) => {
      const out = await parsed(text, cuts, { delimiter: ';', comment: '#', skipLines: skip });
      // The expected first lines, counted from the generator's own lines.
      const expected: number[] = [];
      let line = skip + 1;
      for (const l of lines) {
        if (!l.startsWith('#')) expected.push(line);
        line += 1 + (l.match(/\n/g)?.length ?? 0);
      }
      expect(out.records.map((r) => r.line)).toEqual(expected);
    }),
    { numRuns, seed },
  );
}
