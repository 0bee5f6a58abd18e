import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/input/input-error.js';
import type { InputItem } from '../../src/input/input-item.js';
import { detectFormat, openInput, openStream } from '../../src/input/open-input.js';

const fx = (name: string) => path.resolve(import.meta.dirname, '../../fixtures', name);

async function readAll(file: string, opts: Parameters<typeof openInput>[1] = {}): Promise<{ items: InputItem[]; error: InputError | null; columns: string[] | null }> {
  const items: InputItem[] = [];
  let error: InputError | null = null;
  let columns: string[] | null = null;
  try {
    const src = await openInput(file, opts);
    try {
      for await (const batch of src.batches(7)) items.push(...batch);
    } finally {
      columns = src.columns();
      await src.close();
    }
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    error = err;
  }
  return { items, error, columns };
}

const shape = (items: InputItem[]) => items.map((i) => (i.kind === 'row' ? [i.line, i.record] : [i.line, i.reason]));

describe('CSV', () => {
  it('reads the transactions fixture: 300 rows, each on its own starting line', async () => {
    const { items, columns } = await readAll(fx('transactions.csv'));
    expect(items).toHaveLength(300);
    expect(columns).toEqual(['account_id', 'amount', 'transaction_date', 'description', 'category']);
    expect(items[0]).toMatchObject({ kind: 'row', line: 2 });
    // Row 20 spans two lines, so every row after it starts one line later than its index suggests.
    const row20 = items[20]!;
    expect(row20).toMatchObject({ kind: 'row', line: 22, record: { description: 'Two-line memo:\nsecond line of row 20' } });
    expect(items[21]).toMatchObject({ line: 24 });
    expect(items[299]).toMatchObject({ line: 302 });
    expect(items[10]).toMatchObject({ record: { description: '=SUM(A1:A9) reconciliation' } });
  });

  it('gives the same rows and lines for LF, CRLF, mixed endings, a BOM and no final newline', async () => {
    const variants = ['crlf.csv', 'bom.csv', 'mixed-endings.csv', 'no-final-newline.csv'];
    const results = await Promise.all(variants.map(async (v) => shape((await readAll(fx(v))).items)));
    for (const r of results) expect(r).toEqual(results[0]);
    expect(results[0]).toEqual([
      [2, { account_id: '1001', amount: '10.00', transaction_date: '2024-01-01', description: 'first', category: 'food' }],
      [3, { account_id: '1002', amount: '20.50', transaction_date: '2024-01-02', description: 'second, with comma', category: 'rent' }],
      [4, { account_id: '1003', amount: '30.25', transaction_date: '2024-01-03', description: 'third "quoted"', category: 'travel' }],
    ]);
  });

  it('a quoted field over lines 3-5 is one record on line 3', async () => {
    const { items } = await readAll(fx('quoted-newline.csv'));
    expect(items.map((i) => i.line)).toEqual([2, 3, 6]);
    expect(items[1]).toMatchObject({ record: { description: 'memo line one\nline two\nline three' } });
  });

  it('ragged rows fail alone with expected and found counts', async () => {
    const { items, error } = await readAll(fx('ragged.csv'));
    expect(error).toBeNull();
    expect(shape(items)).toEqual([
      [2, expect.any(Object)],
      [3, 'expected 5 columns, found 7'],
      [4, 'expected 5 columns, found 2'],
      [5, expect.any(Object)],
    ]);
  });

  it('an unterminated quote: rows before it, then its line fails, then an error naming the line', async () => {
    const { items, error } = await readAll(fx('unterminated-quote.csv'));
    expect(items.map((i) => [i.kind, i.line])).toEqual([
      ['row', 2],
      ['row', 3],
      ['rejected', 4],
    ]);
    expect(error?.line).toBe(4);
    expect(error?.message).toMatch(/unterminated-quote\.csv:4: unterminated quoted field/);
  });

  it('a duplicate or empty header name stops before any row, naming line 1 and the column', async () => {
    const dup = await readAll(fx('duplicate-header.csv'));
    expect(dup.items).toEqual([]);
    expect(dup.error?.message).toMatch(/duplicate-header\.csv:1: amount: header names "amount" twice \(columns 2 and 3\)/);
    const empty = await readAll(fx('empty-header.csv'));
    expect(empty.error?.message).toMatch(/empty-header\.csv:1: header column 2 has no name/);
  });

  it('empty file and header only give no rows and no error', async () => {
    for (const f of ['empty.csv', 'header-only.csv']) {
      const r = await readAll(fx(f));
      expect(r.items).toEqual([]);
      expect(r.error).toBeNull();
    }
  });

  it('a row with invalid UTF-8 fails alone with its line', async () => {
    const { items } = await readAll(fx('invalid-utf8.csv'));
    expect(shape(items).map(([l, x]) => [l, typeof x === 'string' ? x : 'row'])).toEqual([
      [2, 'row'],
      [3, 'invalid UTF-8'],
      [4, 'row'],
    ]);
  });

  it('refuses UTF-16 with a hint, and reads it with --encoding utf16le; reads Latin-1', async () => {
    const refused = await readAll(fx('utf16.csv'));
    expect(refused.error?.message).toMatch(/--encoding utf16le/);
    const ok = await readAll(fx('utf16.csv'), { encoding: 'utf16le' });
    expect(shape(ok.items)).toEqual(shape((await readAll(fx('crlf.csv'))).items));
    const latin = await readAll(fx('latin1.csv'), { encoding: 'latin1' });
    expect(latin.items[0]).toMatchObject({ record: { description: 'café crème' } });
  });

  it('drops bulk\'s own _source_line/_error columns and un-escapes formula cells of a failed-rows file', async () => {
    const text = 'a,b,_source_line,_error\n"\'=SUM(A1)",\'+1,12,a: bad\nplain,\'quoted,13,b: bad\n';
    const src = openStream(Readable.from([Buffer.from(text)]), { format: 'csv', name: 'failed.csv' });
    const items: InputItem[] = [];
    for await (const b of src.batches(10)) items.push(...b);
    expect(items.map((i) => (i.kind === 'row' ? i.record : null))).toEqual([
      { a: '=SUM(A1)', b: '+1' },
      { a: 'plain', b: "'quoted" },
    ]);
    expect(src.columns()).toEqual(['a', 'b']);
  });
});

describe('NDJSON and JSON arrays', () => {
  it('NDJSON: bad lines fail alone with their line; blank lines are skipped', async () => {
    const { items } = await readAll(fx('bad-line.ndjson'));
    expect(items.map((i) => [i.kind, i.line])).toEqual([
      ['row', 1],
      ['rejected', 2],
      ['rejected', 4],
      ['row', 5],
    ]);
    expect(items[2]).toMatchObject({ reason: 'expected a JSON object, found an array' });
  });

  it('JSON array: each element with the line it starts on, and the same records as the CSV', async () => {
    const json = await readAll(fx('transactions.json'));
    const nd = await readAll(fx('transactions.ndjson'));
    expect(json.items).toHaveLength(300);
    expect(json.items.slice(0, 3).map((i) => i.line)).toEqual([2, 9, 16]);
    expect(json.items.map((i) => (i.kind === 'row' ? i.record : null))).toEqual(nd.items.map((i) => (i.kind === 'row' ? i.record : null)));
  });

  it('JSON: malformed structure stops at its line after earlier elements; a non-array is refused', async () => {
    const bad = await readAll(fx('malformed.json'));
    expect(bad.items).toHaveLength(1);
    expect(bad.error?.line).toBe(3);
    const notArray = await readAll(fx('not-array.json'));
    expect(notArray.error?.message).toMatch(/expected a JSON array/);
  });

  it('reads stdin-like streams split at awkward places', async () => {
    const text = '[{"a":"x,\\"y\\"]"},\n 5 ,\n{"b":[1,{"c":2}]}]';
    const chunks = text.split('').map((c) => Buffer.from(c));
    const src = openStream(Readable.from(chunks), { format: 'json', name: 'stdin' });
    const items: InputItem[] = [];
    for await (const b of src.batches(10)) items.push(...b);
    expect(shape(items)).toEqual([
      [1, { a: 'x,"y"]' }],
      [2, 'expected a JSON object, found number'],
      [3, { b: [1, { c: 2 }] }],
    ]);
  });
});

describe('opening inputs', () => {
  it('detects formats and refuses what it cannot tell', () => {
    expect(detectFormat('a.CSV')).toBe('csv');
    expect(detectFormat('a.jsonl')).toBe('ndjson');
    expect(() => detectFormat('a.txt')).toThrow(/--format/);
    expect(() => detectFormat('-')).toThrow(/needs --format/);
  });
  it('refuses a missing file and a directory before reading', async () => {
    await expect(openInput('/nope/x.csv')).rejects.toThrow(/x\.csv: cannot read: no such file/);
    await expect(openInput(path.resolve(import.meta.dirname) + '/x.csv'.replace('/x.csv', '') + '.csv')).rejects.toThrow();
  });
});
