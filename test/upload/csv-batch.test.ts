// A batch built as CSV: its records read back as sent, halved as CSV for a 413, and turned into
// JSON whole when a record holds what CSV cannot carry (a null, a number, other fields).
import { describe, expect, it } from 'vitest';
import { BatchBuilder, halveBatch, recordsOf } from '../../src/upload/send/batch.js';

const rec = (i: number, over: Record<string, unknown> = {}) => ({ a: String(i), b: `v "${i}", x\n`, ...over });

describe('CSV batches', () => {
  it('records read back as they were added; halves stay CSV with the same records and lines', () => {
    const b = new BatchBuilder(true);
    for (let i = 0; i < 5; i++) b.add(rec(i), 10 + i);
    const batch = b.build(1, 'f.csv');
    expect(batch.type).toBe('text/csv');
    expect(batch.body.toString().split('\n')[0]).toBe('a,b');
    expect(recordsOf(batch)).toEqual([0, 1, 2, 3, 4].map((i) => rec(i)));
    const [x, y] = halveBatch(batch);
    expect([x.type, y.type]).toEqual(['text/csv', 'text/csv']);
    expect([...recordsOf(x), ...recordsOf(y)]).toEqual(recordsOf(batch));
    expect([...x.lines, ...y.lines]).toEqual([10, 11, 12, 13, 14]);
  });

  it('file ranges and records keep their order; a lone empty value is a quoted row, not a blank line', () => {
    const file = Buffer.from('a,b\n1,x\n2,y\n');
    const b = new BatchBuilder(true);
    b.addSlice(['a', 'b'], file, 4, 8, 2);
    b.add({ a: '9', b: 'z' }, 3);
    b.addSlice(['a', 'b'], file, 8, 12, 4);
    expect(b.build(1, 'f').body.toString()).toBe('a,b\n1,x\n9,z\n2,y\n');
    const one = new BatchBuilder(true);
    one.add({ a: '' }, 1);
    one.add({ a: 'q' }, 2);
    expect(recordsOf(one.build(1, 'f'))).toEqual([{ a: '' }, { a: 'q' }]);
  });

  it('a record CSV cannot carry turns the whole batch into the JSON array it would have been', () => {
    for (const odd of [
      { a: '2', b: null },
      { a: '2', b: 3 },
      { b: 'x', a: '2' },
      { a: '2' },
      { a: '2', b: 'x', c: 'y' },
    ]) {
      const b = new BatchBuilder(true);
      b.add(rec(1), 1);
      b.add(odd, 2);
      b.add(rec(3), 3);
      const batch = b.build(1, 'f');
      expect(batch.type).toBe('application/json');
      expect(JSON.parse(batch.body.toString())).toEqual([rec(1), odd, rec(3)]);
    }
  });
});
