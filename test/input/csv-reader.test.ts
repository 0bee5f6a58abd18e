import { describe, expect, it } from 'vitest';
import { MAX_RECORD_BYTES } from '../../src/input/csv-reader.js';
import { fx, readAll, readChunks, records, shape, splitBytes } from './read-helpers.js';

const HEADER = 'account_id,amount,transaction_date,description,category';
const SMALL = [
  [2, { account_id: '1001', amount: '10.00', transaction_date: '2024-01-01', description: 'first', category: 'food' }],
  [
    3,
    {
      account_id: '1002',
      amount: '20.50',
      transaction_date: '2024-01-02',
      description: 'second, with comma',
      category: 'rent',
    },
  ],
  [
    4,
    {
      account_id: '1003',
      amount: '30.25',
      transaction_date: '2024-01-03',
      description: 'third "quoted"',
      category: 'travel',
    },
  ],
];

describe('CSV: the transactions fixture', () => {
  it('reads 300 rows, each with the line it starts on, values as written', async () => {
    const { items, columns, error } = await readAll(fx('transactions.csv'));
    expect(error).toBeNull();
    expect(items).toHaveLength(300);
    expect(items.every((i) => i.kind === 'row')).toBe(true);
    expect(columns).toEqual(['account_id', 'amount', 'transaction_date', 'description', 'category']);
    expect(items[0]).toMatchObject({ line: 2, record: { description: 'Invoice 0000000 for Acme, Inc.' } });
    expect(items[1]).toMatchObject({ line: 3, record: { description: 'Invoice 0000001 for Globex "Intl"' } });
    // Row 20 spans lines 22–23, so every row after it starts one line later than its index says.
    expect(items[20]).toMatchObject({ line: 22, record: { description: 'Two-line memo:\nsecond line of row 20' } });
    expect(items[21]).toMatchObject({ line: 24 });
    expect(items[299]).toMatchObject({ line: 302 });
  });

  it('keeps formula-like cells and the rows the server will reject verbatim (no cast)', async () => {
    const { items } = await readAll(fx('transactions.csv'));
    const byLine = new Map(items.map((i) => [i.line, i.kind === 'row' ? i.record : null]));
    expect([12, 13, 14, 15].map((l) => byLine.get(l)?.description)).toEqual([
      '=SUM(A1:A9) reconciliation',
      '+1 adjustment',
      '-5 refund',
      '@mention payout',
    ]);
    expect(byLine.get(34)).toMatchObject({ amount: '12.3.4' });
    expect(byLine.get(65)).toMatchObject({ account_id: '' });
    expect(byLine.get(96)).toMatchObject({ transaction_date: '2024-02-30' });
    expect(byLine.get(127)).toMatchObject({ amount: '10.999' });
    expect(byLine.get(158)).toMatchObject({ account_id: '12a' });
    expect(byLine.get(189)).toMatchObject({ amount: '' });
  });
});

describe('CSV: line endings and layout', () => {
  it('gives the same rows and lines for LF, CRLF, mixed endings, a BOM and no final newline', async () => {
    for (const variant of ['crlf.csv', 'bom.csv', 'mixed-endings.csv', 'no-final-newline.csv']) {
      const { items, columns } = await readAll(fx(variant));
      expect(shape(items), variant).toEqual(SMALL);
      expect(columns, variant).toEqual(['account_id', 'amount', 'transaction_date', 'description', 'category']);
    }
  });

  it('a quoted field over lines 3–5 is one record on line 3; the next starts on line 6', async () => {
    const { items } = await readAll(fx('quoted-newline.csv'));
    expect(items.map((i) => i.line)).toEqual([2, 3, 6]);
    expect(items[1]).toMatchObject({ record: { description: 'memo line one\nline two\nline three' } });
  });

  it('keeps a CRLF inside a quoted value as written, and counts it as one line', async () => {
    const text = `${HEADER}\r\n1,2.00,2024-01-01,"a\r\nb",x\r\n3,4.00,2024-01-02,c,y\n5,6.00,2024-01-03,"d\ne",z\r\n7,8.00,2024-01-04,f,w`;
    const { items } = await readChunks([text], 'csv');
    expect(items.map((i) => [i.line, i.kind === 'row' ? i.record.description : null])).toEqual([
      [2, 'a\r\nb'],
      [4, 'c'],
      [5, 'd\ne'],
      [7, 'f'],
    ]);
  });

  it('gives the same lines however the bytes are cut (CRLF and quotes split across chunks)', async () => {
    const text = `\uFEFF${HEADER}\r\n1,2.00,2024-01-01,"a\r\nb ""q""",x\r\n\r\n3,4.00,2024-01-02,"c,d",y\r\n`;
    const whole = await readChunks([text], 'csv');
    expect(whole.items.map((i) => i.line)).toEqual([2, 5]);
    for (const size of [1, 2, 3, 5])
      expect(shape((await readChunks(splitBytes(text, size), 'csv')).items), `chunks of ${size}`).toEqual(
        shape(whole.items),
      );
  });

  it('skips blank lines without shifting the lines of later rows', async () => {
    const { items } = await readChunks([`\n${HEADER}\n\n1,2.00,2024-01-01,a,x\n\n\n3,4.00,2024-01-02,b,y\n`], 'csv');
    expect(items.map((i) => i.line)).toEqual([4, 7]);
  });

  it('a quote inside an unquoted value is text, not an error', async () => {
    const { items, error } = await readChunks(
      [`${HEADER}\n1,2.00,2024-01-01,12" screen,x\n3,4.00,2024-01-02,b,y\n`],
      'csv',
    );
    expect(error).toBeNull();
    expect(records(items).map((r) => r?.description)).toEqual(['12" screen', 'b']);
  });
});

describe('CSV: bad rows and bad files', () => {
  it('ragged rows fail alone with expected and found counts; the others go on', async () => {
    const { items, error } = await readAll(fx('ragged.csv'));
    expect(error).toBeNull();
    expect(shape(items)).toEqual([
      [2, expect.objectContaining({ account_id: '1001' })],
      [3, 'expected 5 columns, found 7'],
      [4, 'expected 5 columns, found 2'],
      [5, expect.objectContaining({ account_id: '1003' })],
    ]);
    expect(items[1]).toMatchObject({ raw: '1002,20.50,2024-01-02,extra,rent,surplus,columns' });
  });

  it('an unterminated quote: rows before it, a rejected item for its line, then InputError naming the line', async () => {
    const { items, error } = await readAll(fx('unterminated-quote.csv'));
    expect(items.map((i) => [i.kind, i.line])).toEqual([
      ['row', 2],
      ['row', 3],
      ['rejected', 4],
    ]);
    expect(error?.line).toBe(4);
    expect(error?.message).toMatch(/unterminated-quote\.csv:4: unterminated quoted field \(starts at line 4\)/);
    expect(items[2]).toMatchObject({ reason: expect.stringMatching(/unterminated quoted field/) });
  });

  it('an unterminated quote after many rows: every row before it is still yielded', async () => {
    const lines = [HEADER];
    for (let i = 0; i < 30_000; i++) lines.push(`${i},1.00,2024-01-01,"row ${i}",x`);
    const text = `${lines.join('\n')}\n9,"open,2024-01-01,x,y\n10,1.00,2024-01-01,lost,x\n`;
    const { items, error } = await readChunks(splitBytes(text, 4096), 'csv', { maxRows: 1000 });
    expect(items).toHaveLength(30_001);
    expect(items[29_999]).toMatchObject({ kind: 'row', line: 30_001 });
    expect(items[30_000]).toMatchObject({ kind: 'rejected', line: 30_002 });
    expect(error?.line).toBe(30_002);
  });

  it('a runaway quote stops at the record-size cap instead of holding the file in memory', async () => {
    const filler = Buffer.alloc(1 << 20, 'x');
    const chunks = [
      Buffer.from(`${HEADER}\n1,2.00,2024-01-01,ok,x\n3,"`),
      ...Array.from({ length: (MAX_RECORD_BYTES >> 20) + 2 }, () => filler),
    ];
    const { items, error } = await readChunks(chunks, 'csv');
    expect(items.map((i) => [i.kind, i.line])).toEqual([
      ['row', 2],
      ['rejected', 3],
    ]);
    expect(error?.message).toMatch(
      /:3: the record starting at line 3 is over 16 MiB, most likely an unterminated quote/,
    );
  });

  it('a duplicate or empty header name stops before any row, naming line 1 and the column', async () => {
    const dup = await readAll(fx('duplicate-header.csv'));
    expect(dup.items).toEqual([]);
    expect(dup.error).toMatchObject({ line: 1, field: 'amount' });
    expect(dup.error?.message).toMatch(
      /duplicate-header\.csv:1: amount: header names "amount" twice \(columns 2 and 3\)/,
    );
    const empty = await readAll(fx('empty-header.csv'));
    expect(empty.items).toEqual([]);
    expect(empty.error?.message).toMatch(/empty-header\.csv:1: header column 2 has no name/);
    const blank = await readChunks(['a,  ,b\n1,2,3\n'], 'csv', { name: 'blank.csv' });
    expect(blank.error?.message).toMatch(/blank\.csv:1: header column 2 has no name/);
  });

  it('keeps header names exactly as written (a name with spaces is another name)', async () => {
    const { columns, items, error } = await readChunks([' a,a ,a\n1,2,3\n'], 'csv');
    expect(error).toBeNull();
    expect(columns).toEqual([' a', 'a ', 'a']);
    expect(records(items)).toEqual([{ ' a': '1', 'a ': '2', a: '3' }]);
  });

  it('an empty file and a header alone give no rows and no error', async () => {
    for (const f of ['empty.csv', 'header-only.csv']) {
      const r = await readAll(fx(f));
      expect(r.items, f).toEqual([]);
      expect(r.error, f).toBeNull();
    }
  });
});

describe('CSV: encodings', () => {
  it('a row with invalid UTF-8 fails alone with its line and field', async () => {
    const { items, error } = await readAll(fx('invalid-utf8.csv'));
    expect(error).toBeNull();
    expect(items.map((i) => [i.kind, i.line])).toEqual([
      ['row', 2],
      ['rejected', 3],
      ['row', 4],
    ]);
    expect(items[1]).toMatchObject({ reason: 'invalid UTF-8', field: 'description' });
  });

  it('keeps a real U+FFFD in a file that is valid UTF-8', async () => {
    const { items } = await readChunks([`${HEADER}\n1,2.00,2024-01-01,lost \uFFFD char,x\n`], 'csv');
    expect(items[0]).toMatchObject({ kind: 'row', record: { description: 'lost \uFFFD char' } });
  });

  it('multi-byte characters cut across chunks are not invalid', async () => {
    const text = `${HEADER}\n1,2.00,2024-01-01,"crème brûlée — 東京 🎉",x\n`;
    for (const size of [1, 2, 3]) {
      const { items } = await readChunks(splitBytes(text, size), 'csv');
      expect(items, `chunks of ${size}`).toEqual([
        { kind: 'row', line: 2, record: expect.objectContaining({ description: 'crème brûlée — 東京 🎉' }) },
      ]);
    }
  });

  it('reads UTF-16 by its byte order mark, with or without --encoding', async () => {
    for (const encoding of [undefined, 'utf16le', 'utf-16le', 'windows-1252']) {
      const ok = await readAll(fx('utf16.csv'), { encoding });
      expect(ok.error, encoding).toBeNull();
      expect(shape(ok.items), encoding).toEqual(SMALL);
    }
  });

  it('refuses Latin-1 read as UTF-8 (mostly undecodable) with the windows-1252 hint, and reads it with --encoding latin1', async () => {
    const refused = await readAll(fx('latin1.csv'));
    expect(refused.error?.message).toMatch(
      /latin1\.csv: this file is mostly not valid UTF-8 .*--encoding windows-1252/,
    );
    const ok = await readAll(fx('latin1.csv'), { encoding: 'latin1' });
    expect(records(ok.items).map((r) => r?.description)).toEqual(['café crème', 'naïve façade']);
  });
});

describe('CSV: re-reading a failed-rows file', () => {
  it("drops bulk's _source_line and _error columns and un-escapes the cells bulk escaped", async () => {
    const text = `'=a,b,_source_line,_error\n"'=SUM(A1)",'+1,12,a: bad\nplain,'quoted,13,b: bad\n"''-5",'@x,14,c\n`;
    const { items, columns } = await readChunks([text], 'csv', { name: 'x.failed.csv' });
    expect(columns).toEqual(['=a', 'b']);
    expect(records(items)).toEqual([
      { '=a': '=SUM(A1)', b: '+1' },
      { '=a': 'plain', b: "'quoted" },
      { '=a': "'-5", b: '@x' },
    ]);
  });

  it('leaves cells alone in a file with only one of the two columns', async () => {
    const { items, columns } = await readChunks(["a,_error\n'=x,e\n"], 'csv');
    expect(columns).toEqual(['a']);
    expect(records(items)).toEqual([{ a: "'=x" }]);
  });
});
