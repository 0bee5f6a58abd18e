import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { escapeFormula, unescapeFormula } from '../../src/input/reserved-columns.js';
import {
  csvCell,
  FailedRowsWriter,
  formatFailedRow,
  type FailedRow,
} from '../../src/upload/state/failed-rows-writer.js';
import { failedRowsPath } from '../../src/upload/plan/output-paths.js';
import { readAll, records } from '../input/read-helpers.js';

/** A new failed-rows file for an input of this format (JSON inputs get NDJSON files), as the tests open them. */
function createFailedRowsWriter(opts: { path: string; format: 'csv' | 'json' | 'ndjson'; columns: string[] }): {
  path: string;
  write(row: FailedRow): void;
  close(): Promise<number>;
} {
  const writer = new FailedRowsWriter(opts.path, opts.format === 'csv' ? 'csv' : 'ndjson', opts.columns);
  return { path: writer.path, write: (row) => writer.write(row), close: async () => writer.close() };
}

const root = mkdtempSync(path.join(os.tmpdir(), 'bulk-failed-rows-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => {
  const dir = path.join(root, String(++n));
  mkdirSync(dir);
  return dir;
};

/** Values a spreadsheet would run, values that look escaped already, and values CSV must quote. */
const TRICKY = [
  '=SUM(A1)',
  '+1',
  '-5',
  '@x',
  '\tlead tab',
  '\rlead cr',
  "'=already",
  "''+two",
  "'plain",
  "'",
  '=',
  'a,b',
  'say "hi"',
  'two\nlines',
  'crlf\r\nin',
  '',
  ' spaced ',
  'é 東京',
];

describe('formula escaping', () => {
  it('prefixes every cell a spreadsheet would run with a quote', () => {
    expect(['=SUM(A1)', '+1', '-5', '@x', '\tt', '\rr'].map(escapeFormula)).toEqual([
      "'=SUM(A1)",
      "'+1",
      "'-5",
      "'@x",
      "'\tt",
      "'\rr",
    ]);
    expect(['plain', '1-5', "'quoted", "'", ''].map(escapeFormula)).toEqual(['plain', '1-5', "'quoted", "'", '']);
  });

  it('un-escapes exactly what it escaped, including values that already start with quotes', () => {
    for (const v of TRICKY) expect(unescapeFormula(escapeFormula(v)), JSON.stringify(v)).toBe(v);
    expect(escapeFormula("'=already")).toBe("''=already");
  });

  it('quotes cells per RFC 4180 after escaping', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('=1,2')).toBe('"\'=1,2"');
    expect(csvCell('\rx')).toBe('"\'\rx"');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(12)).toBe('12');
  });
});

describe('failed-rows lines', () => {
  it('CSV: the original columns, then _source_line and _error (with the field)', () => {
    expect(
      formatFailedRow({ line: 7, record: { a: '=x', b: '1,5' }, reason: 'not a number', field: 'b' }, 'csv', [
        'a',
        'b',
      ]),
    ).toBe('\'=x,"1,5",7,b: not a number\n');
  });
  it('CSV: a row that did not parse keeps its text in the first column, the others empty', () => {
    expect(formatFailedRow({ line: 3, raw: '1,2,3,4', reason: 'expected 2 columns, found 4' }, 'csv', ['a', 'b'])).toBe(
      '"1,2,3,4",,3,"expected 2 columns, found 4"\n',
    );
  });
  it('NDJSON: the original keys plus _source_line and _error; unparsed text under _raw', () => {
    expect(formatFailedRow({ line: 2, record: { a: 1, b: '=x' }, reason: 'bad' }, 'ndjson', [])).toBe(
      '{"a":1,"b":"=x","_source_line":2,"_error":"bad"}\n',
    );
    expect(formatFailedRow({ line: 4, raw: '{"a":', reason: 'invalid JSON' }, 'ndjson', [])).toBe(
      '{"_raw":"{\\"a\\":","_source_line":4,"_error":"invalid JSON"}\n',
    );
  });
});

describe('FailedRowsWriter', () => {
  it('never overwrites an existing file', async () => {
    const file = path.join(freshDir(), 'x.failed.csv');
    writeFileSync(file, 'earlier run\n');
    expect(() => createFailedRowsWriter({ path: file, format: 'csv', columns: ['a'] })).toThrow(/EEXIST/);
    expect(readFileSync(file, 'utf8')).toBe('earlier run\n');
  });

  it('close() returns the rows written; a clean header even with no rows', async () => {
    const dir = freshDir();
    const w = createFailedRowsWriter({ path: path.join(dir, 'a.failed.csv'), format: 'csv', columns: ['=a', 'b'] });
    expect(await w.close()).toBe(0);
    expect(readFileSync(w.path, 'utf8')).toBe("'=a,b,_source_line,_error\n");
    const w2 = createFailedRowsWriter({ path: path.join(dir, 'b.failed.ndjson'), format: 'json', columns: [] });
    w2.write({ line: 1, record: { a: 1 }, reason: 'x' });
    w2.write({ line: 2, raw: '[', reason: 'y' });
    expect(await w2.close()).toBe(2);
    expect(readFileSync(w2.path, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('writes many rows in bounded chunks and keeps them all', () => {
    const w = new FailedRowsWriter(path.join(freshDir(), 'many.failed.csv'), 'csv', ['a']);
    for (let i = 0; i < 50_000; i++) w.write({ line: i + 2, record: { a: `value ${i}` }, reason: 'r' });
    expect(w.close()).toBe(50_000);
    expect(readFileSync(w.path, 'utf8').split('\n')).toHaveLength(50_002);
  });
});

describe('failedRowsPath', () => {
  it('puts <stem>.failed.<ext> beside the input, numbering on when earlier ones exist', () => {
    const dir = freshDir();
    const input = path.join(dir, 'transactions.csv');
    expect(failedRowsPath(input, 'csv')).toBe(path.join(dir, 'transactions.failed.csv'));
    writeFileSync(path.join(dir, 'transactions.failed.csv'), '');
    expect(failedRowsPath(input, 'csv')).toBe(path.join(dir, 'transactions.failed-2.csv'));
    writeFileSync(path.join(dir, 'transactions.failed-2.csv'), '');
    expect(failedRowsPath(input, 'csv')).toBe(path.join(dir, 'transactions.failed-3.csv'));
  });

  it('JSON inputs get .ndjson; another directory; stdin in the working directory', () => {
    const dir = freshDir();
    expect(failedRowsPath('/data/t.JSON', 'json', dir)).toBe(path.join(dir, 't.failed.ndjson'));
    expect(failedRowsPath('/data/t.jsonl', 'ndjson', dir)).toBe(path.join(dir, 't.failed.ndjson'));
    expect(failedRowsPath('-', 'csv')).toBe(path.join(process.cwd(), 'stdin.failed.csv'));
  });

  it('re-sending a failed-rows file gives <stem>.failed-2, not <stem>.failed.failed', () => {
    const dir = freshDir();
    writeFileSync(path.join(dir, 't.failed.csv'), '');
    expect(failedRowsPath(path.join(dir, 't.failed.csv'), 'csv')).toBe(path.join(dir, 't.failed-2.csv'));
  });
});

describe('round trip: a failed-rows file is input bulk reads back exactly', () => {
  it('CSV: every tricky value, formula-like ones included, comes back as it was', async () => {
    const dir = freshDir();
    const columns = ['id', 'text', '-neg'];
    const rows = TRICKY.map((text, i) => ({ id: String(i), text, '-neg': TRICKY[(i + 3) % TRICKY.length] as string }));
    const file = failedRowsPath(path.join(dir, 'in.csv'), 'csv');
    const w = createFailedRowsWriter({ path: file, format: 'csv', columns });
    rows.forEach((record, i) =>
      w.write({
        line: 10 + i * 2,
        record,
        reason: i % 2 ? 'amount: bad' : '=looks like a formula',
        field: i % 3 ? undefined : 'text',
      }),
    );
    expect(await w.close()).toBe(rows.length);

    const back = await readAll(file);
    expect(back.error).toBeNull();
    expect(back.columns).toEqual(columns);
    expect(records(back.items)).toEqual(rows);
    // Lines are the failed-rows file's own; each cell of text with a newline takes one more.
    expect(back.items[0]?.line).toBe(2);
  });

  it('CSV: a ragged row lands in the first column and reads back as one value', async () => {
    const file = path.join(freshDir(), 'r.failed.csv');
    const w = createFailedRowsWriter({ path: file, format: 'csv', columns: ['a', 'b'] });
    w.write({ line: 5, raw: '1,"=2",3', reason: 'expected 2 columns, found 3' });
    await w.close();
    expect(records((await readAll(file)).items)).toEqual([{ a: '1,"=2",3', b: '' }]);
  });

  it('NDJSON: records come back without _source_line and _error', async () => {
    const file = path.join(freshDir(), 'x.failed.ndjson');
    const rows = TRICKY.map((text, i) => ({ id: i, text, nested: { v: [text] } }));
    const w = createFailedRowsWriter({ path: file, format: 'ndjson', columns: [] });
    rows.forEach((record, i) => w.write({ line: i + 1, record, reason: 'bad' }));
    await w.close();
    const back = await readAll(file);
    expect(back.error).toBeNull();
    expect(records(back.items)).toEqual(rows);
  });

  it('the failed-rows file of a real fixture reads back with the same values', async () => {
    const { items } = await readAll(path.resolve(import.meta.dirname, '../../fixtures/transactions.csv'));
    const picked = items.filter((i) => i.kind === 'row' && [12, 13, 14, 15, 22, 34, 65].includes(i.line));
    const file = path.join(freshDir(), 'transactions.failed.csv');
    const w = createFailedRowsWriter({
      path: file,
      format: 'csv',
      columns: ['account_id', 'amount', 'transaction_date', 'description', 'category'],
    });
    for (const it of picked) if (it.kind === 'row') w.write({ line: it.line, record: it.record, reason: 'rejected' });
    await w.close();
    expect(readFileSync(file, 'utf8')).toContain("'=SUM(A1:A9) reconciliation");
    expect(records((await readAll(file)).items)).toEqual(records(picked));
    expect(existsSync(file)).toBe(true);
  });
});
