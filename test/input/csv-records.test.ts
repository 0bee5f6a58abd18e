import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvReadError, parsedRecords, splitRecords, type CsvRecord } from '../../src/input/csv-records.js';
import type { CsvDialect } from '../../src/input/csv-dialect.js';

/** More runs under `BULK_FC_RUNS` (the fault tier); few in `npm test`. */
const RUNS = Number(process.env.BULK_FC_RUNS ?? 150);

interface Outcome {
  records: CsvRecord[];
  error: { code: string; line: number } | null;
}

async function collect(source: AsyncGenerator<CsvRecord[]>): Promise<Outcome> {
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

const fast = (text: string, cuts: number[]) => collect(splitRecords(chunked(text, cuts), 1 << 24));
const parsed = (text: string, cuts: number[], d: CsvDialect = { delimiter: ',' }) => collect(parsedRecords(chunked(text, cuts), d, d.delimiter ?? ',', 1 << 24));

const piece = fc.constantFrom('a', 'b', 'Zürich', '✓', ' ', '1.50', ',', '"', '""', '\n', '\r\n', '12" screen', '', '#', ';');

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

const withCuts = csvFile.chain((text) => fc.tuple(fc.constant(text), fc.array(fc.nat(text.length), { maxLength: 5 }).map((c) => c.sort((a, b) => a - b))));

describe('the fast splitter against csv-parse (default dialect)', () => {
  it('gives exactly csv-parse records and first lines, however the text is cut into chunks', async () => {
    await fc.assert(
      fc.asyncProperty(withCuts, async ([text, cuts]) => {
        expect(await fast(text, cuts)).toEqual(await parsed(text, []));
      }),
      { numRuns: RUNS },
    );
  });

  it('regression (fast-check): a CR inside a quoted value is not a line of its own, as csv-parse counts it', async () => {
    const text = '"\r\n",""\n""\n';
    expect((await fast(text, [])).records.map((r) => r.line)).toEqual([1, 3]);
    expect((await parsed(text, [])).records.map((r) => r.line)).toEqual([1, 3]);
  });

  it('regression (fast-check): text after a closing quote is read on as the value, quotes kept, not a fault', async () => {
    const text = '"a"junk\n""\n';
    const expected = { records: [{ values: ['"a"junk'], line: 1 }, { values: [''], line: 2 }], error: null };
    expect(await fast(text, [])).toEqual(expected);
    expect(await parsed(text, [])).toEqual(expected);
  });

  it('regression (fast-check): a bare CR at the very end of the file is text, not a line break', async () => {
    for (const text of ['\r', 'x\na\r']) expect(await fast(text, [])).toEqual(await parsed(text, []));
    expect((await fast('\r', [])).records).toEqual([{ values: ['\r'], line: 1 }]);
  });

  it('regression: a record spanning lines, then an unclosed quote, fails at the line it starts on', async () => {
    const text = 'a,b\n1,"x\ny"\n2,3\n4,"open\n';
    const expected = { code: 'CSV_QUOTE_NOT_CLOSED', line: 5 };
    expect((await fast(text, [7])).error).toEqual(expected);
    expect((await parsed(text, [])).error).toEqual(expected);
    expect((await parsed(text, [])).records.map((r) => r.line)).toEqual([1, 2, 4]);
  });
});

describe('csv-parse line numbers in other dialects', () => {
  it('comment lines, empty lines and a preamble move the first line of each record', async () => {
    const text = 'title line\nexported 2024\na;b\n# a comment\n1;"x\ny"\n\n# another\n2;3\n';
    const out = await parsed(text, [9, 30], { delimiter: ';', comment: '#', skipLines: 2 });
    expect(out.error).toBeNull();
    expect(out.records).toEqual([
      { values: ['a', 'b'], line: 3 },
      { values: ['1', 'x\ny'], line: 5 },
      { values: [''], line: 7 },
      { values: ['2', '3'], line: 9 },
    ]);
  });

  it('a value starting with the comment character is data, not a comment', async () => {
    const out = await parsed('a,b\n1,#2\n', [], { delimiter: ',', comment: '#' });
    expect(out.records.map((r) => r.values)).toEqual([['a', 'b'], ['1', '#2']]);
  });

  it("quotes of ' with a backslash escape; tab and pipe delimiters", async () => {
    expect((await parsed("a|b\n'x|y'|'it\\'s'\n", [], { delimiter: '|', quote: "'", escape: '\\' })).records[1]).toEqual({ values: ['x|y', "it's"], line: 2 });
    expect((await parsed('a\tb\n1\t2\n', [3], { delimiter: '\t' })).records[1]).toEqual({ values: ['1', '2'], line: 2 });
  });

  it('any dialect: each record starts one line after the previous ended, past comments and blanks', async () => {
    const dialectFile = fc
      .tuple(
        fc.array(fc.oneof(fc.constant('# note'), fc.constant(''), fc.array(fc.constantFrom('v', 'x y', '"q;\nr"', '"s""t"'), { minLength: 1, maxLength: 3 }).map((c) => c.join(';'))), { minLength: 1, maxLength: 10 }),
        fc.nat(2),
      )
      .map(([lines, skip]) => ({ text: [...Array.from({ length: skip }, (_, i) => `pre ${i}`), ...lines].join('\n') + '\n', skip, lines }));
    await fc.assert(
      fc.asyncProperty(dialectFile, async ({ text, skip, lines }) => {
        const out = await parsed(text, [], { delimiter: ';', comment: '#', skipLines: skip });
        // The expected first lines, counted from the generator's own lines.
        const expected: number[] = [];
        let line = skip + 1;
        for (const l of lines) {
          if (!l.startsWith('#')) expected.push(line);
          line += 1 + (l.match(/\n/g)?.length ?? 0);
        }
        expect(out.records.map((r) => r.line)).toEqual(expected);
      }),
      { numRuns: RUNS },
    );
  });
});
