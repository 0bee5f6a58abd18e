import { Readable } from 'node:stream';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { InputFormat } from '../../src/input/input-item.js';
import { openStream } from '../../src/input/open-input.js';
import {
  DEFAULT_RECORD_LIMITS,
  formatChars,
  nestsDeeperThan,
  parseSize,
  type RecordLimits,
} from '../../src/input/record-limits.js';
import { drain, readChunks, shape } from './read-helpers.js';

const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
/** A record whose `x` nests so that the whole record is `depth` levels deep. */
const recordOfDepth = (depth: number) => `{"x":${deepArray(depth - 1)}}`;

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Streams `before`, then a record of `size` characters made of 64 KiB pieces (never held whole by
 * the test), then `after`; samples the live heap as the reader pulls.
 */
function hugeRecordStream(
  before: string,
  open: string,
  size: number,
  close: string,
  after: string,
  heap: { base: number; peak: number },
) {
  const piece = 'y'.repeat(64 * 1024);
  async function* gen() {
    yield Buffer.from(before + open);
    for (let sent = 0, n = 0; sent < size; sent += piece.length, n++) {
      if (n % 64 === 0) {
        gc();
        heap.peak = Math.max(heap.peak, process.memoryUsage().heapUsed - heap.base);
      }
      yield Buffer.from(piece);
    }
    yield Buffer.from(close + after);
  }
  return Readable.from(gen());
}

async function readWithLimits(text: string, format: InputFormat, limits: RecordLimits) {
  return drain(openStream(Readable.from([Buffer.from(text)]), { format, name: 'x', limits }));
}

describe('nesting depth', () => {
  it('a value 100,000 deep fails alone with its line and the limit, and the lines after it are read (NDJSON)', async () => {
    const text = `{"a":1}\n${recordOfDepth(100_000)}\n{"a":3}\n`;
    const { items, error } = await readChunks([text], 'ndjson');
    expect(error).toBeNull();
    expect(shape(items)).toEqual([
      [1, { a: 1 }],
      [2, 'nested more than 32 levels deep, the limit (raise it with --max-depth)'],
      [3, { a: 3 }],
    ]);
    expect((items[1] as { raw: string }).raw.length).toBeLessThanOrEqual(1001);
  });

  it('a value 100,000 deep fails alone with its line, and the elements after it are read (JSON array)', async () => {
    const text = `[\n{"a":1},\n${recordOfDepth(100_000)},\n{"a":3}\n]`;
    for (const size of [text.length, 4096, 7]) {
      const chunks = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
      const { items, error } = await readChunks(chunks, 'json');
      expect(error).toBeNull();
      expect(shape(items), `chunks of ${size}`).toEqual([
        [2, { a: 1 }],
        [3, 'nested more than 32 levels deep, the limit (raise it with --max-depth)'],
        [4, { a: 3 }],
      ]);
    }
  });

  it.each(['ndjson', 'json'] as const)(
    '%s: exactly at the limit is read, one past it fails; --max-depth moves the limit',
    async (format) => {
      const wrap = (lines: string[]) => (format === 'json' ? `[${lines.join(',\n')}]` : `${lines.join('\n')}\n`);
      const text = wrap([recordOfDepth(32), recordOfDepth(33), '{"o":{"p":[{"q":{}}]}}']);
      const defaults = await readWithLimits(text, format, DEFAULT_RECORD_LIMITS);
      expect(defaults.items.map((i) => i.kind)).toEqual(['row', 'rejected', 'row']);
      const tight = await readWithLimits(text, format, { ...DEFAULT_RECORD_LIMITS, maxDepth: 4 });
      expect(tight.items.map((i) => i.kind)).toEqual(['rejected', 'rejected', 'rejected']);
      const five = await readWithLimits(text, format, { ...DEFAULT_RECORD_LIMITS, maxDepth: 5 });
      expect(five.items.map((i) => (i.kind === 'rejected' ? i.reason : 'row'))).toEqual([
        'nested more than 5 levels deep, the limit (raise it with --max-depth)',
        'nested more than 5 levels deep, the limit (raise it with --max-depth)',
        'row',
      ]);
    },
  );

  it('brackets inside strings do not count, and a record past the limit cannot hide its depth in a later sibling', () => {
    expect(nestsDeeperThan({ a: '[[[[[[[[' }, 1)).toBe(false);
    expect(nestsDeeperThan({ a: 1, b: [1, 2, [3]], c: { d: {} } }, 3)).toBe(false);
    expect(nestsDeeperThan({ a: 1, b: [1, 2, [3]], c: { d: { e: [] } } }, 3)).toBe(true);
    expect(nestsDeeperThan(JSON.parse(deepArray(1_000_000)), 32)).toBe(true);
  });
});

describe('record size', () => {
  it.each([
    [
      'ndjson',
      '{"a":1}\n',
      '{"big":"',
      '"}',
      '\n{"a":3}\n',
      [
        [1, { a: 1 }],
        [2, 'over'],
        [3, { a: 3 }],
      ],
    ],
    [
      'json',
      '[{"a":1},\n',
      '{"big":"',
      '"}',
      ',\n{"a":3}]',
      [
        [1, { a: 1 }],
        [2, 'over'],
        [3, { a: 3 }],
      ],
    ],
  ] as const)(
    '%s: a 50 MB line fails alone with its line and the limit; the rest is read; memory stays bounded',
    async (format, before, open, close, after, want) => {
      const heap = { base: 0, peak: 0 };
      gc();
      heap.base = process.memoryUsage().heapUsed;
      const limits = { ...DEFAULT_RECORD_LIMITS, maxRecordChars: 1024 * 1024 };
      const { items, error } = await drain(
        openStream(hugeRecordStream(before, open, 50 * 1024 * 1024, close, after, heap), { format, name: 'x', limits }),
      );
      expect(error).toBeNull();
      expect(
        shape(items).map(([line, v]) => [
          line,
          typeof v === 'string' && v.includes('1 MiB, the limit (raise it with --max-record-size)') ? 'over' : v,
        ]),
      ).toEqual(want);
      expect((items[1] as { raw: string }).raw.startsWith(`${open}yyy`)).toBe(true);
      // The reader held at most about the limit (1 MiB) plus a chunk, never the 50 MB line.
      expect(heap.peak).toBeLessThan(16 * 1024 * 1024);
    },
    30_000,
  );

  it.each(['ndjson', 'json'] as const)(
    '%s: the limit counts the line (NDJSON) or the element (JSON), never the line ending',
    async (format) => {
      const rec = '{"a":"12345"}'; // 13 characters
      const text = format === 'json' ? `[  ${rec}  ,\r\n{"a":"123456"}]` : `${rec}\r\n${rec} \r\n`;
      const { items } = await readWithLimits(text, format, { ...DEFAULT_RECORD_LIMITS, maxRecordChars: 13 });
      expect(items.map((i) => i.kind)).toEqual(['row', 'rejected']);
    },
  );

  it('CSV keeps its cap behaviour under the same flag: a record past it stops the file at its line, naming the limit and the flag', async () => {
    const text = `a,b\n1,x\n2,"${'y'.repeat(3000)}\n3,z\n`;
    const { items, error } = await readChunks([text], 'csv', {
      sniffed: true,
      limits: { ...DEFAULT_RECORD_LIMITS, maxRecordChars: 1024 },
    });
    expect(items.map((i) => [i.kind, i.line])).toEqual([
      ['row', 2],
      ['rejected', 3],
    ]);
    expect(error?.message).toBe(
      'stdin:3: the record starting at line 3 is over 1 KiB, most likely an unterminated quote (the limit: --max-record-size): the rest of the file was not read',
    );
  });

  it('a JSON string never closed still stops the file at its element, naming the line', async () => {
    const { items, error } = await readChunks(['[{"a":1},\n{"b":"never closed\n', '{"c":3}]\n'], 'json');
    expect(items.map((i) => [i.kind, i.line])).toEqual([
      ['row', 1],
      ['rejected', 2],
    ]);
    expect(error?.message).toMatch(
      /stdin:2: malformed JSON: the file ends inside this element: the rest of the file was not read/,
    );
  });
});

describe('size flags', () => {
  it.each([
    ['16MiB', 16 * 2 ** 20],
    ['512k', 512 * 1024],
    ['1.5M', 1.5 * 2 ** 20],
    ['1000000', 1_000_000],
    ['2 GiB', 2 * 2 ** 30],
    ['0', null],
    ['ten', null],
    ['-5M', null],
  ])('%s → %s', (text, want) => expect(parseSize(text)).toBe(want));

  it('names sizes the way a person reads them', () => {
    expect(formatChars(16 * 2 ** 20)).toBe('16 MiB');
    expect(formatChars(1536)).toBe('1.5 KiB');
    expect(formatChars(300)).toBe('300 characters');
  });
});

describe('a CSV record over the cap without a quote', () => {
  it('says it is too long, and does not guess at an unterminated quote, in the fast path and in csv-parse', async () => {
    for (const delimiter of [',', ';']) {
      const text = `a${delimiter}b\n1${delimiter}x\n2${delimiter}${'y'.repeat(3000)}\n3${delimiter}z\n`;
      const chunks = text.match(/[^]{1,256}/g) ?? [];
      const { error } = await readChunks(chunks, 'csv', {
        sniffed: true,
        limits: { ...DEFAULT_RECORD_LIMITS, maxRecordChars: 1024 },
      });
      expect(error?.message, delimiter).toBe(
        'stdin:3: the record starting at line 3 is over 1 KiB (the limit: --max-record-size): the rest of the file was not read',
      );
    }
  });
});
