import { describe, expect, it } from 'vitest';
import { fx, readAll, readChunks, records, shape, splitBytes } from './read-helpers.js';

describe('NDJSON', () => {
  it('reads the transactions fixture: 300 objects, line i+1 each, the same values as the JSON array', async () => {
    const nd = await readAll(fx('transactions.ndjson'));
    expect(nd.error).toBeNull();
    expect(nd.columns).toBeNull();
    expect(nd.items.map((i) => i.line)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(nd.items[1]).toMatchObject({
      record: { account_id: expect.any(Number), description: 'Invoice 0000001 for Globex "Intl"' },
    });
    expect(nd.items[10]).toMatchObject({ record: { description: '=SUM(A1:A9) reconciliation' } });
  });

  it('bad lines fail alone with their line and the JSON.parse message; blank lines are skipped', async () => {
    const { items, error } = await readAll(fx('bad-line.ndjson'));
    expect(error).toBeNull();
    expect(items.map((i) => [i.kind, i.line])).toEqual([
      ['row', 1],
      ['rejected', 2],
      ['rejected', 4],
      ['row', 5],
    ]);
    expect(items[1]).toMatchObject({
      raw: '{"account_id":1002,"amount":',
      reason: expect.stringMatching(/^invalid JSON: /),
    });
    expect(items[2]).toMatchObject({ raw: '[1,2,3]', reason: 'expected a JSON object, found an array' });
  });

  it('gives the same lines for CRLF, blank lines, no final newline, and any chunking', async () => {
    const lf = '{"a":1}\n\n{"a":2}\n  \n{"a":3}\n';
    const crlf = '{"a":1}\r\n\r\n{"a":2}\r\n  \r\n{"a":3}';
    const want = [
      [1, { a: 1 }],
      [3, { a: 2 }],
      [5, { a: 3 }],
    ];
    expect(shape((await readChunks([lf], 'ndjson')).items)).toEqual(want);
    for (const size of [1, 2, 7])
      expect(shape((await readChunks(splitBytes(crlf, size), 'ndjson', { sniffed: true })).items)).toEqual(want);
  });

  it('rejects scalars and null, and a line with invalid UTF-8, each alone', async () => {
    const chunks = [Buffer.from('1\nnull\n"s"\n{"a":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n{"a":"ok"}\n')];
    const { items } = await readChunks(chunks, 'ndjson');
    expect(shape(items)).toEqual([
      [1, 'expected a JSON object, found a number'],
      [2, 'expected a JSON object, found null'],
      [3, 'expected a JSON object, found a string'],
      [4, 'invalid UTF-8'],
      [5, { a: 'ok' }],
    ]);
  });

  it("drops bulk's _source_line and _error keys", async () => {
    const { items } = await readChunks(['{"a":"=x","_source_line":4,"_error":"a: bad"}\n'], 'ndjson');
    expect(records(items)).toEqual([{ a: '=x' }]);
  });
});

describe('JSON array', () => {
  it('reads the transactions fixture: each element with the line it starts on, the same records as NDJSON', async () => {
    const json = await readAll(fx('transactions.json'));
    const nd = await readAll(fx('transactions.ndjson'));
    expect(json.error).toBeNull();
    expect(json.items).toHaveLength(300);
    // Pretty-printed: "[" on line 1, then 7 lines an element (fewer where a field is left out).
    expect(json.items.slice(0, 3).map((i) => i.line)).toEqual([2, 9, 16]);
    const lines = json.items.map((i) => i.line);
    expect(lines.every((l, k) => k === 0 || l > (lines[k - 1] as number))).toBe(true);
    expect(records(json.items)).toEqual(records(nd.items));
  });

  it('a malformed structure: elements before it, a rejected item for the broken element, then InputError naming its line', async () => {
    const { items, error } = await readAll(fx('malformed.json'));
    expect(items.map((i) => [i.kind, i.line])).toEqual([
      ['row', 2],
      ['rejected', 3],
    ]);
    expect(error?.line).toBe(3);
    expect(error?.message).toMatch(/malformed\.json:3: malformed JSON: "]" on line 5 closes a "{"/);
  });

  it('refuses a top-level value that is not an array', async () => {
    const { items, error } = await readAll(fx('not-array.json'));
    expect(items).toEqual([]);
    expect(error?.message).toMatch(/not-array\.json:1: expected a JSON array of objects, but the file starts with "{"/);
  });

  it('an empty array, and an empty file, give no rows and no error', async () => {
    for (const text of ['[]', ' [ \n ] \n', '', '\n  \n']) {
      const r = await readChunks([text], 'json');
      expect(r, JSON.stringify(text)).toMatchObject({ items: [], error: null });
    }
  });

  it('an element that is not an object, or that JSON.parse refuses though its brackets balance, fails alone', async () => {
    const text = '[\n 5 ,\n "s",\n null,\n [1, 2],\n {"a": tru},\n {"a": 1,},\n {"ok": true}\n]';
    const { items, error } = await readChunks([text], 'json');
    expect(error).toBeNull();
    expect(shape(items)).toEqual([
      [2, 'expected a JSON object, found a number'],
      [3, 'expected a JSON object, found a string'],
      [4, 'expected a JSON object, found null'],
      [5, 'expected a JSON object, found an array'],
      [6, expect.stringMatching(/^invalid JSON: /)],
      [7, expect.stringMatching(/^invalid JSON: /)],
      [8, { ok: true }],
    ]);
  });

  it.each([
    [
      'a missing comma',
      '[{"a":1},\n{"a":2}\n{"a":3}]',
      3,
      [
        ['row', 1],
        ['row', 2],
        ['rejected', 3],
      ],
      /expected "," or "]" after the element on line 2, found "\{"/,
    ],
    [
      'a trailing comma',
      '[{"a":1},\n]',
      2,
      [
        ['row', 1],
        ['rejected', 2],
      ],
      /unexpected "]" where an element should be/,
    ],
    [
      'a scalar closed by }',
      '[{"a":1},\n 5}',
      2,
      [
        ['row', 1],
        ['rejected', 2],
      ],
      /unexpected "}"/,
    ],
    [
      'an array never closed',
      '[{"a":1},\n{"a":2}\n',
      3,
      [
        ['row', 1],
        ['row', 2],
      ],
      /the array is not closed/,
    ],
    [
      'a file cut inside an element',
      '[{"a":1},\n{"a":"cut',
      2,
      [
        ['row', 1],
        ['rejected', 2],
      ],
      /the file ends inside this element/,
    ],
    ['text after the array', '[{"a":1}]\n{"b":2}', 2, [['row', 1]], /text after the closing "]"/],
  ])('%s stops the file at its line', async (_name, text, line, kinds, message) => {
    const { items, error } = await readChunks([text], 'json', { name: 'x.json' });
    expect(items.map((i) => [i.kind, i.line])).toEqual(kinds);
    expect(error?.line).toBe(line);
    expect(error?.message).toMatch(message);
    expect(error?.message).toMatch(new RegExp(`^x\\.json:${line}: `));
  });

  it('reads streams cut at every byte: strings with brackets, commas, escapes and non-ASCII', async () => {
    const text = '[{"a":"x,\\"y\\"]}\\\\"},\n 5 ,\n{"b":[1,{"c":"東京"}],"d":"\\u00e9"}\n,{"e":{}}]';
    const want = [
      [1, { a: 'x,"y"]}\\' }],
      [2, 'expected a JSON object, found a number'],
      [3, { b: [1, { c: '東京' }], d: 'é' }],
      [4, { e: {} }],
    ];
    for (const size of [1, 2, 3, 1000])
      expect(
        shape((await readChunks(splitBytes(text, size), 'json', { sniffed: true })).items),
        `chunks of ${size}`,
      ).toEqual(want);
  });

  it('gives the same lines with CRLF and a BOM', async () => {
    const text = '\uFEFF[\r\n  {"a": 1},\r\n  {\r\n    "a": 2\r\n  }\r\n]\r\n';
    expect(shape((await readChunks([text], 'json')).items)).toEqual([
      [2, { a: 1 }],
      [3, { a: 2 }],
    ]);
  });

  it("drops bulk's _source_line and _error keys", async () => {
    const { items } = await readChunks(['[{"a":1,"_source_line":4,"_error":"x"}]'], 'json');
    expect(records(items)).toEqual([{ a: 1 }]);
  });
});
