import { parse } from 'csv-parse/sync';
import { describe, expect, it, vi } from 'vitest';
import { CsvSplitError, CsvSplitter } from '../../src/protocol/csv-splitter.js';

/** csv-parse with the options bulk used before it had its own splitter: the oracle. */
function oracle(text: string): string[][] {
  return parse(text, { relax_column_count: true, record_delimiter: ['\r\n', '\n'], relax_quotes: true }) as string[][];
}

function split(text: string, cuts: number[]): string[][] {
  const splitter = new CsvSplitter(1 << 24);
  const out: string[][] = [];
  let at = 0;
  for (const cut of [...cuts, text.length]) {
    splitter.push(text.slice(at, cut), out);
    at = cut;
  }
  splitter.end(out);
  return out;
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['a', 'b', 'Zürich', '✓', ' ', '1.50', ',', '"', '""', '\n', '\r\n', '12" screen', ''];

/** A random file: values that need quoting are quoted, some unquoted values carry a stray quote. */
function randomCsv(rand: () => number): string {
  const lines: string[] = [];
  const rows = 1 + Math.floor(rand() * 12);
  for (let r = 0; r < rows; r++) {
    const fields = 1 + Math.floor(rand() * 5);
    const cells: string[] = [];
    for (let f = 0; f < fields; f++) {
      let v = '';
      const len = Math.floor(rand() * 4);
      for (let k = 0; k < len; k++) v += PIECES[Math.floor(rand() * PIECES.length)];
      if (/[",\r\n]/.test(v)) {
        // A stray quote inside a value that needs no other quoting stays unquoted sometimes (relax_quotes).
        cells.push(
          /^[^,\r\n"]*"[^,\r\n"]*$/.test(v) && !v.startsWith('"') && rand() < 0.5 ? v : `"${v.replace(/"/g, '""')}"`,
        );
      } else cells.push(v);
    }
    lines.push(cells.join(','));
  }
  const ending = () => (rand() < 0.5 ? '\n' : '\r\n');
  const text = lines.map((l) => l + ending()).join('');
  // Sometimes no final line break. (A file ending in a bare CR: see csv-records.test.ts.)
  return rand() < 0.2 ? text.replace(/\r?\n$/, '') : text;
}

describe('CsvSplitter', () => {
  it('gives exactly what csv-parse gave, on 3000 random files cut into random chunks', () => {
    const rand = rng(42);
    let compared = 0;
    for (let n = 0; n < 3000; n++) {
      const text = randomCsv(rand);
      let expected: string[][];
      try {
        expected = oracle(text);
      } catch {
        continue; // a file the generator made unreadable is the next test's business
      }
      const cuts = Array.from({ length: Math.floor(rand() * 4) }, () => Math.floor(rand() * text.length)).sort(
        (a, b) => a - b,
      );
      expect(split(text, cuts), JSON.stringify({ text, cuts })).toEqual(expected);
      compared++;
    }
    expect(compared).toBeGreaterThan(2500);
  });

  it('a line without quotes is split on commas; a CR before LF is dropped, a lone CR kept', () => {
    expect(split('a,b,,c\r\nd\re,f\n', [])).toEqual([
      ['a', 'b', '', 'c'],
      ['d\re', 'f'],
    ]);
  });

  it('keeps CRLF and "" inside quotes, even when a chunk ends between the two quotes', () => {
    const text = 'x,"say ""hi""\r\nthere",y\n';
    for (let cut = 0; cut <= text.length; cut++) expect(split(text, [cut])).toEqual([['x', 'say "hi"\r\nthere', 'y']]);
  });

  it('fails on an unterminated quote at the end; text after a closing quote is read on, as csv-parse reads it', () => {
    expect(() => split('a,"open\nb,c\n', [])).toThrow(expect.objectContaining({ code: 'CSV_QUOTE_NOT_CLOSED' }));
    expect(() => split('a,"open', [])).toThrow(CsvSplitError);
    expect(split('a,"closed"x,b\n', [])).toEqual(oracle('a,"closed"x,b\n'));
    expect(split('a,"closed"x,b\n', [])).toEqual([['a', '"closed"x', 'b']]);
  });

  it('refuses a record past the cap instead of holding it', () => {
    const splitter = new CsvSplitter(1000);
    const out: string[][] = [];
    splitter.push('ok,1\n"runaway', out);
    expect(out).toEqual([['ok', '1']]);
    expect(() => splitter.push('x'.repeat(2000), out)).toThrow(
      expect.objectContaining({ code: 'CSV_MAX_RECORD_SIZE' }),
    );
  });
});

describe('linear reading of a long record', () => {
  it('scans a record longer than a chunk a logarithmic number of times, and refuses it as it passes the cap', () => {
    const scans = vi.spyOn(CsvSplitter.prototype as unknown as { scan: () => number }, 'scan');
    try {
      const splitter = new CsvSplitter(8 << 20);
      const out: string[][] = [];
      splitter.push('a,b\n1,', out);
      const chunk = 'x'.repeat(64 * 1024);
      let pushed = 0;
      let error: unknown = null;
      try {
        // Line breaks in every chunk, inside a quote opened at the start: the worst case for rescans.
        splitter.push('"', out);
        for (; pushed < 200; pushed++) splitter.push(`${chunk}\n`, out);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(CsvSplitError);
      expect((error as CsvSplitError).quoteOpen).toBe(true);
      // Refused at the chunk that passed 8 MiB, not later.
      expect(pushed).toBe(Math.floor((8 << 20) / (64 * 1024 + 1)));
      expect(scans.mock.calls.length).toBeLessThan(2 * Math.log2(pushed) + 6);
    } finally {
      scans.mockRestore();
    }
  });

  it('a long unquoted field is refused without guessing at a quote', () => {
    const splitter = new CsvSplitter(1024);
    const out: string[][] = [];
    splitter.push('a,b\n1,', out);
    expect(() => {
      for (let i = 0; i < 10; i++) splitter.push('y'.repeat(200), out);
    }).toThrow(expect.objectContaining({ code: 'CSV_MAX_RECORD_SIZE', quoteOpen: false }));
  });
});
