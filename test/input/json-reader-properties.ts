import { Readable } from 'node:stream';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { InputItem } from '../../src/input/input-item.js';
import { openStream } from '../../src/input/open-input.js';
import { overDepthReason, overSizeReason, type RecordLimits } from '../../src/input/record-limits.js';
import { drain } from './read-helpers.js';

/**
 * Issue 12 (b): the JSON and NDJSON readers against generated files, with JSON.parse as the
 * oracle. A generated file is a list of records (strings with quotes, escapes, newlines and any
 * unicode; nesting around the depth limit; sizes around the size limit), laid out with a BOM or
 * not, LF or CRLF, spaces and blank lines, then cut into chunks at random byte offsets. The
 * readers must give, for every record, what JSON.parse of its text gives, on the line it starts
 * on; and a record over a limit fails with that limit's reason, never stopping the rest.
 */

/** A reader's answer reduced to what the oracle predicts. */
type Outcome = [line: number, kind: 'row', record: unknown] | [line: number, kind: 'rejected', reason: string];

const tricky = fc.constantFrom(
  '"',
  '\\',
  '\n',
  '\r\n',
  '\t',
  '\u2028',
  '{',
  '[',
  '}',
  ']',
  ',',
  '\\"',
  'é',
  '東京',
  '😀',
  '\uFEFF',
  '\u0000',
  '_source_line',
  '_error',
);
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  tricky,
);
const leaf = fc.oneof(
  text,
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 6 },
    leaf,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(text, tie('value'), { maxKeys: 3 }),
  ),
}));
/**
 * A record given relative to the limits, made once they and the layout are known: a chain of
 * objects and arrays 1 less to 1 more than the depth limit, or a record whose text is 3 less to 3
 * more characters than the size limit (as laid out: indent and CRLF included).
 */
type Spec = { plain: unknown } | { depth: number; kinds: boolean[]; end: unknown } | { size: number };
const deep = fc.record({
  depth: fc.integer({ min: -1, max: 1 }),
  kinds: fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }),
  end: leaf,
});
const sized = fc.record({ size: fc.integer({ min: -3, max: 3 }) });
const spec: fc.Arbitrary<Spec> = fc.oneof(
  { weight: 4, arbitrary: fc.dictionary(text, value, { maxKeys: 4 }).map((plain) => ({ plain })) },
  { weight: 2, arbitrary: deep },
  { weight: 2, arbitrary: sized },
  { weight: 1, arbitrary: value.map((plain) => ({ plain })) },
);

/** The text of a spec's record under these limits and this layout. */
function recordText(s: Spec, limits: RecordLimits, indent: number | undefined, crlf: boolean): string {
  const stringify = (v: unknown) => {
    const t = seen(JSON.stringify(v, null, indent));
    return crlf ? t.replace(/\n/g, '\r\n') : t;
  };
  if ('plain' in s) return stringify(s.plain);
  if ('size' in s) {
    const overhead = stringify({ s: '' }).length;
    return stringify({ s: 'x'.repeat(Math.max(0, limits.maxRecordChars + s.size - overhead)) });
  }
  let v: unknown = s.end;
  for (let d = Math.max(1, limits.maxDepth + s.depth) - 1; d >= 1; d--) v = s.kinds[d % 9] ? { k: v } : [v];
  return stringify({ deep: v });
}

const limitsArb: fc.Arbitrary<RecordLimits> = fc.record({
  maxRecordChars: fc.integer({ min: 40, max: 300 }),
  maxDepth: fc.integer({ min: 1, max: 6 }),
});
const layout = fc.record({
  bom: fc.boolean(),
  crlf: fc.boolean(),
  indent: fc.constantFrom(undefined, 0, 1, 2),
  cuts: fc.array(fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 97 })), {
    minLength: 1,
    maxLength: 8,
  }),
  maxRows: fc.integer({ min: 1, max: 9 }),
});
type Layout = typeof layout extends fc.Arbitrary<infer L> ? L : never;

function depthOf(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  return 1 + Math.max(0, ...(Array.isArray(v) ? v : Object.values(v)).map(depthOf));
}

/** What the readers must say about one record's text, by JSON.parse and the limits. */
function oracle(line: number, source: string, limits: RecordLimits, parsed?: { value: unknown }): Outcome {
  if (source.length > limits.maxRecordChars) return [line, 'rejected', overSizeReason(limits)];
  let v: unknown;
  try {
    v = parsed ? parsed.value : JSON.parse(source);
  } catch (err) {
    return [line, 'rejected', `invalid JSON: ${(err as Error).message}`];
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    return [
      line,
      'rejected',
      `expected a JSON object, found ${Array.isArray(v) ? 'an array' : v === null ? 'null' : `a ${typeof v}`}`,
    ];
  if (depthOf(v) > limits.maxDepth) return [line, 'rejected', overDepthReason(limits)];
  const rec = v as Record<string, unknown>;
  delete rec._source_line;
  delete rec._error;
  return [line, 'row', rec];
}

const outcomes = (items: InputItem[]): Outcome[] =>
  items.map((i) => (i.kind === 'row' ? [i.line, 'row', i.record] : [i.line, 'rejected', i.reason]));

/** Bytes cut in chunks whose sizes cycle through `cuts`: characters and CRLFs get split. */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const size = cuts[k % cuts.length] as number;
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return out;
}

/** Text as the reader will see it: encoded to UTF-8 and decoded (lone surrogates become U+FFFD), BOM dropped. */
const seen = (s: string) => Buffer.from(s).toString('utf8');

/**
 * `sniffed`: the decoder does not gather the first 64 KiB to check the encoding, so the reader
 * gets the chunks as cut; without it a file this small reaches the reader in one piece.
 */
async function read(
  bytes: Buffer,
  format: 'json' | 'ndjson',
  limits: RecordLimits,
  l: { cuts: number[]; maxRows: number },
) {
  return drain(
    openStream(Readable.from(chunked(bytes, l.cuts)), { format, name: 'gen', limits, sniffed: true }),
    l.maxRows,
  );
}

/** NDJSON lines: a record (with spaces around it or not), a record cut short (mostly invalid JSON), or a blank line. */
type LineSpec = { record: Spec; pad: string } | { cut: Spec; at: number } | { blank: string };
const ndLine: fc.Arbitrary<LineSpec> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ record: spec, pad: fc.constantFrom('', '', ' ', '\t') }) },
  { weight: 1, arbitrary: fc.record({ cut: spec, at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ blank: fc.constantFrom('', '  ', '\t') }) },
);

function lineText(l: LineSpec, limits: RecordLimits): string {
  if ('blank' in l) return l.blank;
  if ('cut' in l) {
    const t = recordText(l.cut, limits, undefined, false);
    return t.slice(0, 1 + (l.at % t.length));
  }
  return `${l.pad}${recordText(l.record, limits, undefined, false)}${l.pad}`;
}

export function ndjsonProperty(numRuns: number, seed?: number): Promise<void> {
  return fc.assert(
    fc.asyncProperty(
      fc.array(ndLine, { maxLength: 12 }),
      fc.boolean(),
      limitsArb,
      layout,
      async (specs, finalNewline, limits, l: Layout) => {
        const eol = l.crlf ? '\r\n' : '\n';
        const body = specs.map((x) => lineText(x, limits)).join(eol) + (finalNewline ? eol : '');
        const bytes = Buffer.from((l.bom ? '\uFEFF' : '') + body);
        const want: Outcome[] = [];
        seen(body)
          .split('\n')
          .forEach((raw, i) => {
            const source = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
            if (source.length <= limits.maxRecordChars && source.trim() === '') return;
            want.push(oracle(i + 1, source, limits));
          });
        const got = await read(bytes, 'ndjson', limits, l);
        expect(got.error).toBeNull();
        expect(outcomes(got.items)).toEqual(want);
      },
    ),
    { numRuns, seed },
  );
}

export function jsonArrayProperty(numRuns: number, seed?: number): Promise<void> {
  return fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(spec, fc.constantFrom('', ' ', '\n', '\n\n  ', '\t')), { maxLength: 10 }),
      limitsArb,
      layout,
      async (elements, limits, l: Layout) => {
        const eol = (t: string) => (l.crlf ? t.replace(/\n/g, '\r\n') : t);
        let body = '[';
        const placed: { line: number; text: string }[] = [];
        elements.forEach(([r, gap], i) => {
          const textOf = recordText(r, limits, l.indent, l.crlf);
          body += eol(gap);
          placed.push({ line: body.split('\n').length, text: textOf });
          body += textOf + eol(gap) + (i < elements.length - 1 ? ',' : '');
        });
        body += eol('\n]\n');
        // JSON.parse reads the whole file as one array: the oracle for every element at once.
        const parsed = JSON.parse(seen(body)) as unknown[];
        expect(parsed).toHaveLength(placed.length);
        const want = placed.map((p, i) => oracle(p.line, p.text, limits, { value: parsed[i] }));
        const got = await read(Buffer.from((l.bom ? '\uFEFF' : '') + body), 'json', limits, l);
        expect(got.error).toBeNull();
        expect(outcomes(got.items)).toEqual(want);
      },
    ),
    { numRuns, seed },
  );
}
