import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { detectFormat } from '../../src/input/open-input.js';
import { tempDir } from '../helpers/temp.js';
import { readAll, shape } from './read-helpers.js';

const dir = tempDir('bulk-gzip-');
const file = (name: string, data: Buffer | string) => {
  const p = path.join(dir, name);
  writeFileSync(p, data);
  return p;
};

describe('gzip input', () => {
  it('is known by its bytes whatever its name, and read as the format its name gives', async () => {
    const csv = 'a,b\n1,"x\ny"\n3,4\n';
    const named = await readAll(file('rows.csv.gz', gzipSync(csv)));
    const unnamed = await readAll(file('rows.csv', gzipSync(csv)));
    expect(shape(named.items)).toEqual([
      [2, { a: '1', b: 'x\ny' }],
      [4, { a: '3', b: '4' }],
    ]);
    expect(shape(unnamed.items)).toEqual(shape(named.items));
    const ndjson = await readAll(file('rows.ndjson.gz', gzipSync('{"a":1}\n{"a":2}\n')));
    expect(shape(ndjson.items)).toEqual([
      [1, { a: 1 }],
      [2, { a: 2 }],
    ]);
    expect(detectFormat('x.tsv.gz')).toBe('csv');
    expect(() => detectFormat('x.gz')).toThrow(/cannot tell the format/);
    const forced = await readAll(file('blob.gz', gzipSync('{"a":1}\n')), { format: 'ndjson' });
    expect(forced.items).toHaveLength(1);
  });

  it('a file cut short: the rows before the cut go out, then one clear error naming the file', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `${i},${'v'.repeat(i % 50)}`).join('\n');
    const whole = gzipSync(`a,b\n${rows}\n`);
    const cut = file('cut.csv.gz', whole.subarray(0, Math.floor(whole.length * 0.6)));
    const res = await readAll(cut, {}, 1000);
    expect(res.items.length).toBeGreaterThan(1000);
    expect(res.error?.message).toMatch(/cut\.csv\.gz: .*(cut short|not valid gzip).*the rest of the file was not read/);
  });

  it('bytes that start like gzip but are not: refused before anything is read', async () => {
    const res = await readAll(
      file(
        'fake.csv.gz',
        Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08]), Buffer.from('not deflate at all, really not')]),
      ),
    );
    expect(res.items).toEqual([]);
    expect(res.error?.message).toMatch(/fake\.csv\.gz: starts like a gzip file but cannot be decompressed/);
  });

  it('the encoding is checked on what it holds: UTF-16 inside gzip is refused as UTF-16, or read by its mark', async () => {
    const res = await readAll(file('u16.csv.gz', gzipSync(Buffer.from('a,b\n1,2\n', 'utf16le'))));
    expect(res.error?.message).toMatch(/UTF-16LE/);
    const marked = await readAll(
      file('m16.csv.gz', gzipSync(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\n1,2\n', 'utf16le')]))),
    );
    expect(marked.error).toBeNull();
    expect(marked.items).toEqual([{ kind: 'row', line: 2, record: { a: '1', b: '2' } }]);
  });

  it('also when its start expands too far to be looked at up front (a highly compressible file)', async () => {
    const latin1 = Buffer.from(`a,b\n${'1,caf\xe9 cr\xe8me\n'.repeat(200_000)}`, 'latin1');
    const res = await readAll(file('l1.csv.gz', gzipSync(latin1)));
    expect(res.items).toEqual([]);
    expect(res.error?.message).toMatch(/mostly not valid UTF-8.*--encoding windows-1252/);
  });
});

describe('gzip as gzip reads it', () => {
  it('members one after another are one stream', async () => {
    const res = await readAll(file('two.csv.gz', Buffer.concat([gzipSync('a,b\n1,2\n'), gzipSync('3,4\n5,6\n')])));
    expect(res.error).toBeNull();
    expect(res.items.map((i) => i.line)).toEqual([2, 3, 4]);
  });

  it('trailing garbage after a complete member: a warning naming its offset, every row before it kept', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `${i},${'v'.repeat(i % 50)}`).join('\n');
    const member = gzipSync(`a,b\n${rows}\n`);
    const notices: string[] = [];
    const res = await readAll(file('junk.csv.gz', Buffer.concat([member, Buffer.from('GARBAGE after the end\n')])), {
      onNotice: (t) => notices.push(t),
    });
    expect(res.error).toBeNull();
    expect(res.items).toHaveLength(5000);
    expect(res.items.every((i) => i.kind === 'row')).toBe(true);
    expect(notices).toEqual([
      expect.stringMatching(
        new RegExp(`junk\\.csv\\.gz: trailing garbage after the gzip data at byte ${member.length} ignored`),
      ),
    ]);
  });

  it('a file cut short is an error saying so and naming the last whole line', async () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => `${i},${(i * 7919) % 100_003}`).join('\n');
    const member = gzipSync(`a,b\n${rows}\n`);
    const res = await readAll(file('short.csv.gz', member.subarray(0, member.length >> 1)));
    expect(res.error?.message).toMatch(
      /short\.csv\.gz: the file ends in the middle of its compressed data \(cut short\?\): the rest of the file was not read/,
    );
    // Named by the last line whose row is whole.
    const last = res.items[res.items.length - 1]?.line;
    expect(last).toBeGreaterThan(1);
    expect(res.error?.message).toContain(`(the last whole line read: ${last})`);
  });
});
