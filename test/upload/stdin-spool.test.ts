import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openStream } from '../../src/input/open-input.js';
import type { CheckpointEntry } from '../../src/upload/state/checkpoint.js';
import { readStdinSpool, spoolStdin, unconfirmedStdinLines } from '../../src/upload/send/stdin-spool.js';
import { drain } from '../input/read-helpers.js';
import { tempDir } from '../helpers/temp.js';

const CSV = 'a,b\n1,x\n\n2,"two\nlines"\n3\n4,y\n';

describe('the stdin spool', () => {
  it('gives a resume the very items the run read: rows, rejected rows, lines and the CSV header', async () => {
    const spoolPath = path.join(tempDir('bulk-spool-'), 'run', 'stdin.spool.ndjson');
    const spooled = spoolStdin(
      openStream(Readable.from([Buffer.from(CSV)]), { format: 'csv', name: 'stdin' }),
      spoolPath,
    );
    const first = await drain(spooled.source, 2);
    expect(spooled.complete()).toBe(true);
    const again = readStdinSpool(spoolPath, 'csv');
    const second = await drain(again.source, 2);
    expect(second.items).toEqual(first.items);
    expect(first.items.map((i) => [i.kind, i.line])).toEqual([
      ['row', 2],
      ['row', 4],
      ['rejected', 6],
      ['row', 7],
    ]);
    expect(second.columns).toEqual(['a', 'b']);
    expect([again.complete(), again.lastLine(), again.items()]).toEqual([true, 7, 4]);
  });

  it('a spool torn by a kill, without its end mark: the torn line is dropped, and the spool says where it ends', async () => {
    const spoolPath = path.join(tempDir('bulk-spool-'), 'stdin.spool.ndjson');
    writeFileSync(
      spoolPath,
      '{"line":1,"record":{"a":1}}\n{"line":3,"rejected":{"raw":"x","reason":"invalid JSON: x"}}\n',
    );
    appendFileSync(spoolPath, '{"line":4,"rec');
    const spool = readStdinSpool(spoolPath, 'ndjson');
    const { items, error } = await drain(spool.source);
    expect(error).toBeNull();
    expect(items).toEqual([
      { kind: 'row', line: 1, record: { a: 1 } },
      { kind: 'rejected', line: 3, raw: 'x', reason: 'invalid JSON: x' },
    ]);
    expect([spool.complete(), spool.lastLine()]).toEqual([false, 3]);
    expect(readFileSync(spoolPath, 'utf8')).toContain('"line":4,"rec');
  });
});

describe('which stdin lines were read but not confirmed', () => {
  const entry = (first: number, last: number, through: number | null): CheckpointEntry => ({
    key: `k${first}`,
    file: 'stdin',
    batch: first,
    first_line: first,
    last_line: last,
    rows: last - first + 1,
    job_id: 'j',
    state: through === null ? 'submitted' : 'finished',
    outcome:
      through === null
        ? undefined
        : {
            state: 'Job Complete',
            processed: through - first + 1,
            processed_through_line: through,
            stored: 0,
            failed: 0,
            unprocessed: 0,
            aggregates: null,
            first_errors: [],
            job_errors: [],
          },
  });
  it.each([
    ['nothing settled', [], 500, '1-500'],
    ['the first jobs settled, the rest read', [entry(1, 250, 250), entry(251, 500, 500)], 800, '501-800'],
    [
      'a job in flight between settled ones',
      [entry(1, 250, 250), entry(251, 500, null), entry(501, 750, 750)],
      900,
      '251-500, 751-900',
    ],
    ['a job cut short by the server', [entry(1, 250, 100)], 250, '101-250'],
    ['stdin read to its end', [entry(1, 250, 250)], null, '251 to the end'],
    ['all settled', [entry(1, 250, 250)], 250, ''],
    ['one line', [entry(1, 250, 250)], 251, '251'],
  ] as const)('%s', (_name, entries, through, want) => {
    expect(unconfirmedStdinLines([...entries], through)).toBe(want);
  });
});
