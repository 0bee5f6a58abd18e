// The canonical CSV path against the reader: a file read as byte ranges, sent as a CSV body and
// read by the server, gives exactly the rows (values and lines) readCsv gives, and the same
// rejected rows and stopping error, however the file is cut into chunks.
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCsvSlabs, type SlabPiece } from '../../src/input/csv-slabs.js';
import { InputError } from '../../src/input/input-error.js';
import { openStream } from '../../src/input/open-input.js';
import { parseCsvRecords } from '../../src/server/records/csv-records.js';
import { BatchBuilder } from '../../src/upload/send/batch.js';
import { drain } from './read-helpers.js';

const COLUMNS = ['a', 'b', 'c'];

async function* chunks(bytes: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (const cut of [...cuts.filter((c) => c < bytes.length).sort((x, y) => x - y), bytes.length]) {
    if (cut > at) yield bytes.subarray(at, cut);
    at = Math.max(at, cut);
  }
}

interface Seen {
  rows: { line: number; record: Record<string, unknown> }[];
  rejected: { line: number; raw: string; reason: string; field?: string }[];
  error: string | null;
}

async function viaReader(bytes: Buffer, cuts: number[]): Promise<Seen> {
  const src = openStream(Readable.from(chunks(bytes, cuts)), { format: 'csv', name: 'f.csv', sniffed: true });
  const { items, error } = await drain(src);
  return {
    rows: items.flatMap((i) => (i.kind === 'row' ? [{ line: i.line, record: i.record }] : [])),
    rejected: items.flatMap((i) =>
      i.kind === 'rejected' ? [{ line: i.line, raw: i.raw, reason: i.reason, field: i.field }] : [],
    ),
    error: error?.message ?? null,
  };
}

/** The slab path as an upload takes it: pieces into one CSV batch, read back by the server's parser. */
async function viaSlabs(bytes: Buffer, cuts: number[]): Promise<Seen> {
  const builder = new BatchBuilder(true);
  const rejected: Seen['rejected'] = [];
  let error: string | null = null;
  const take = (p: SlabPiece) => {
    if (p.kind === 'rejected') rejected.push({ line: p.line, raw: p.raw, reason: p.reason, field: p.field });
    else if (p.kind === 'row') builder.add(p.record, p.line);
    else for (let k = 0; k < p.count; k++) builder.addSlice(COLUMNS, p.bytes, p.starts[k]!, p.ends[k]!, p.lines[k]!);
  };
  try {
    for await (const pieces of readCsvSlabs(chunks(bytes, cuts), 'f.csv', COLUMNS, 1 << 24)) pieces.forEach(take);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    error = err.message;
  }
  const batch = builder.build(1, 'f.csv');
  if (batch.origin.rows === 0) return { rows: [], rejected, error };
  expect(batch.type).toBe('text/csv');
  const limits = { maxItems: 1e6, maxKeysPerRecord: 100, maxDepth: 4 };
  const server = parseCsvRecords(batch.body.toString('utf8'), limits);
  expect(server.length).toBe(batch.origin.rows);
  const rows = Array.from({ length: server.length }, (_, i) => ({
    line: batch.lines[i]!,
    record: server.at(i) as never,
  }));
  return { rows, rejected, error };
}

const piece = fc.constantFrom('a', 'Zürich', '✓', ' ', '1.50', ',', '"', '""', '\n', '\r\n', '12" screen', '', '\xff');

const cell = fc.tuple(fc.array(piece, { maxLength: 4 }), fc.nat(9)).map(([parts, r]) => {
  const v = parts.join('');
  const needs = /[",\r\n]/.test(v);
  if (needs && /^[^,\r\n"]*"[^,\r\n"]*$/.test(v) && !v.startsWith('"') && r < 4) return v;
  if (r === 9 && parts.length === 1) return `"${v.replace(/"/g, '""')}"junk`;
  return needs || r === 0 ? `"${v.replace(/"/g, '""')}"` : v;
});

/** A file under the header a,b,c: rows of 1..4 cells (3 is right), blank lines, every ending. */
const csvFile = fc
  .tuple(
    fc.array(fc.tuple(fc.array(cell, { minLength: 0, maxLength: 4 }), fc.boolean()), { minLength: 0, maxLength: 12 }),
    fc.constantFrom('full', 'no-final-newline', 'bare-cr', 'unclosed'),
    fc.boolean(),
  )
  .map(([rows, end, bom]) => {
    let text = `${bom ? '\uFEFF' : ''}a,b,c\n`;
    text += rows.map(([cells, crlf]) => cells.join(',') + (crlf ? '\r\n' : '\n')).join('');
    if (end === 'no-final-newline') text = text.replace(/\r?\n$/, '');
    if (end === 'bare-cr') text = text.replace(/\r?\n$/, '\r');
    if (end === 'unclosed') text += 'x,"never closed\nmore\n';
    // \xff stands for a byte that is not UTF-8.
    return Buffer.concat(
      text.split('\xff').flatMap((t, i) => (i === 0 ? [Buffer.from(t)] : [Buffer.from([0xff]), Buffer.from(t)])),
    );
  });

const withCuts = csvFile.chain((bytes) =>
  fc.tuple(fc.constant(bytes), fc.array(fc.nat(Math.max(0, bytes.length)), { maxLength: 6 })),
);

describe('canonical CSV as byte ranges', () => {
  it('gives the rows, lines, rejected rows and stop that readCsv gives, whatever the chunks', async () => {
    await fc.assert(
      fc.asyncProperty(withCuts, async ([bytes, cuts]) => {
        expect(await viaSlabs(bytes, cuts)).toEqual(await viaReader(bytes, cuts));
      }),
      { numRuns: 300 },
    );
  });

  it('examples: quoted line breaks move the lines on; a ragged row and a bad byte fail alone; a trailing CR stays text', async () => {
    const text = Buffer.from('a,b,c\n1,"x\ny",z\n\n1,2\r\n3,\xff,5\n7,8,9\r', 'latin1');
    const fixed = Buffer.from(text.toString('latin1').replace('\xff', '\u0000'), 'utf8');
    fixed[fixed.indexOf(0)] = 0xff;
    const seen = await viaSlabs(fixed, [7, 20]);
    expect(seen).toEqual(await viaReader(fixed, [7, 20]));
    expect(seen.rows).toEqual([
      { line: 2, record: { a: '1', b: 'x\ny', c: 'z' } },
      { line: 7, record: { a: '7', b: '8', c: '9\r' } },
    ]);
    expect(seen.rejected.map((r) => [r.line, r.reason])).toEqual([
      [5, 'expected 3 columns, found 2'],
      [6, 'invalid UTF-8'],
    ]);
  });
});
