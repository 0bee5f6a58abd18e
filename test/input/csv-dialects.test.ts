import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectDelimiter, headerLineOf, isFastPathDialect, parseCharFlag } from '../../src/input/csv-dialect.js';
import { tempDir } from '../helpers/temp.js';
import { fx, readAll, shape } from './read-helpers.js';

const dir = tempDir('bulk-dialect-');
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('CSV dialects', () => {
  it('detects the delimiter from the header line, outside quotes, and says which it chose', async () => {
    expect(detectDelimiter('a;b;"c,d,e"')).toBe(';');
    expect(detectDelimiter('a\tb\tc')).toBe('\t');
    expect(detectDelimiter('a|b')).toBe('|');
    expect(detectDelimiter('single')).toBe(',');
    expect(detectDelimiter('a,b;c')).toBe(',');
    const notices: string[] = [];
    const res = await readAll(fx('semicolon.csv'), { onNotice: (t) => notices.push(t) });
    expect(notices).toEqual([
      `${fx('semicolon.csv')}: delimiter ';' (detected from the header line; --delimiter chooses another)`,
    ]);
    expect(res.items.map((i) => i.line)).toEqual([2, 3, 4, 6, 7]);
    expect(res.items[1]).toMatchObject({ record: { description: 'second; with, separators | and\ttab' } });
  });

  it('a header past the preamble and the comments is the one detected from', () => {
    expect(headerLineOf('title\n# c\na;b\n', { skipLines: 1, comment: '#' }, false)).toBe('a;b');
    expect(headerLineOf('title\na;b', { skipLines: 1 }, false)).toBeNull();
    expect(headerLineOf('title\na;b', { skipLines: 1 }, true)).toBe('a;b');
  });

  it('.tsv means tab; --no-header takes the names given; --trim and --null-value shape the values', async () => {
    const tsv = await readAll(file('x.tsv', 'a\tb\n1\t2,3\n'));
    expect(shape(tsv.items)).toEqual([[2, { a: '1', b: '2,3' }]]);
    const bare = await readAll(file('bare.csv', '1,2\n3,4\n'), { dialect: { header: false, columns: ['a', 'b'] } });
    expect(shape(bare.items)).toEqual([
      [1, { a: '1', b: '2' }],
      [2, { a: '3', b: '4' }],
    ]);
    const trimmed = await readAll(file('t.csv', 'a,b\n  1 , NULL \n\\N,x\n'), {
      dialect: { trim: true, nullValue: 'NULL' },
    });
    expect(shape(trimmed.items)).toEqual([
      [2, { a: '1', b: null }],
      [3, { a: '\\N', b: 'x' }],
    ]);
  });

  it('a ragged row in another dialect fails alone, its text kept in that dialect', async () => {
    const res = await readAll(file('r.csv', 'a;b\n1;2;3\n4;5\n'));
    expect(res.items[0]).toMatchObject({
      kind: 'rejected',
      line: 2,
      raw: '1;2;3',
      reason: 'expected 2 columns, found 3',
    });
    expect(res.items[1]).toMatchObject({ kind: 'row', line: 3 });
  });

  it('only the default dialect may take the fast path; character flags take one character or \\t', () => {
    expect(isFastPathDialect({ delimiter: ',' })).toBe(true);
    expect(isFastPathDialect({ delimiter: ';' })).toBe(false);
    expect(isFastPathDialect({ delimiter: ',', trim: true })).toBe(false);
    expect(isFastPathDialect({ delimiter: ',', quote: "'" })).toBe(false);
    expect(parseCharFlag('\\t')).toEqual({ char: '\t' });
    expect(parseCharFlag(';;')).toEqual({ error: 'expected one character (or \\t for tab)' });
  });
});
