import { describe, expect, it } from 'vitest';
import { dialectLinesProperty, fast, fastPathProperty, parsed } from './csv-records-properties.js';

/** Few cases in npm test; the fault tier runs many (test/faults/csv-fast-path.test.ts). */
const RUNS = Number(process.env.BULK_FC_RUNS ?? 200);

describe('the fast splitter against csv-parse (default dialect)', () => {
  it('gives exactly csv-parse records and first lines, however the text is cut into chunks', () =>
    fastPathProperty(RUNS));

  it('regression (fast-check): a CR inside a quoted value is not a line of its own, as csv-parse counts it', async () => {
    const text = '"\r\n",""\n""\n';
    expect((await fast(text, [])).records.map((r) => r.line)).toEqual([1, 3]);
    expect((await parsed(text, [])).records.map((r) => r.line)).toEqual([1, 3]);
  });

  it('regression (fast-check): text after a closing quote is read on as the value, quotes kept, not a fault', async () => {
    const text = '"a"junk\n""\n';
    const expected = {
      records: [
        { values: ['"a"junk'], line: 1 },
        { values: [''], line: 2 },
      ],
      error: null,
    };
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
    expect(out.records.map((r) => r.values)).toEqual([
      ['a', 'b'],
      ['1', '#2'],
    ]);
  });

  it("quotes of ' with a backslash escape; tab and pipe delimiters", async () => {
    expect(
      (await parsed("a|b\n'x|y'|'it\\'s'\n", [], { delimiter: '|', quote: "'", escape: '\\' })).records[1],
    ).toEqual({ values: ['x|y', "it's"], line: 2 });
    expect((await parsed('a\tb\n1\t2\n', [3], { delimiter: '\t' })).records[1]).toEqual({
      values: ['1', '2'],
      line: 2,
    });
  });

  it('any dialect, LF or CRLF, cut anywhere: each record starts one line after the previous ended, past comments and blanks', () =>
    dialectLinesProperty(RUNS));
});
