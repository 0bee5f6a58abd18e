import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/input/input-error.js';
import { checkInput, detectFormat, openInput } from '../../src/input/open-input.js';
import { drain, fx, records } from './read-helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'bulk-open-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('detectFormat', () => {
  it('goes by the extension, in any case, unless a format is given', () => {
    expect(detectFormat('a.CSV')).toBe('csv');
    expect(detectFormat('dir.json/a.Json')).toBe('json');
    expect(detectFormat('a.ndjson')).toBe('ndjson');
    expect(detectFormat('a.jsonl')).toBe('ndjson');
    expect(detectFormat('a.txt', 'csv')).toBe('csv');
  });
  it('refuses an unknown extension, an unknown format, and stdin without --format', () => {
    expect(() => detectFormat('a.txt')).toThrow(
      /a\.txt: cannot tell the format from "\.txt": use --format csv\|json\|ndjson/,
    );
    expect(() => detectFormat('noext')).toThrow(/no extension/);
    expect(() => detectFormat('a.csv', 'xml')).toThrow(/unknown format "xml"/);
    expect(() => detectFormat('-')).toThrow(InputError);
    expect(() => detectFormat('-')).toThrow(/stdin: reading stdin needs --format/);
  });
});

describe('openInput refuses before anything is read', () => {
  it('a missing file, a directory, an unknown extension', async () => {
    await expect(openInput('/nope/x.csv', {})).rejects.toThrow(/\/nope\/x\.csv: cannot read: no such file/);
    const folder = path.join(dir, 'folder.csv');
    await import('node:fs/promises').then((fs) => fs.mkdir(folder));
    await expect(openInput(folder, {})).rejects.toThrow(/folder\.csv: is a directory, not a file/);
    await expect(openInput(fx('README.md'), {})).rejects.toThrow(/cannot tell the format/);
  });

  it.skipIf(process.getuid?.() === 0)('an unreadable file', async () => {
    const file = path.join(dir, 'locked.csv');
    writeFileSync(file, 'a\n1\n');
    chmodSync(file, 0o000);
    await expect(openInput(file, {})).rejects.toThrow(/locked\.csv: cannot read: permission denied/);
  });

  it('a UTF-16 file without a byte order mark or a mostly-Latin-1 file read as UTF-8: refused by openInput itself, with the hint', async () => {
    const bare = path.join(dir, 'bare16.csv');
    writeFileSync(bare, Buffer.from('a,b\n1,2\n3,4\n', 'utf16le'));
    await expect(openInput(bare, {})).rejects.toThrow(/UTF-16LE without a byte order mark.*--encoding utf-16le/);
    await expect(openInput(fx('latin1.csv'), {})).rejects.toThrow(/--encoding windows-1252/);
  });

  it('checkInput refuses the same files without opening a stream, for a preflight over many files', async () => {
    await expect(checkInput(fx('transactions.json'))).resolves.toEqual({
      format: 'json',
      sizeBytes: statSync(fx('transactions.json')).size,
    });
    await expect(checkInput('-', { format: 'ndjson' })).resolves.toEqual({ format: 'ndjson', sizeBytes: null });
    await expect(checkInput('/nope/x.csv')).rejects.toThrow(/no such file/);
    const bare = path.join(dir, 'bare16b.csv');
    writeFileSync(bare, Buffer.from('a,b\n1,2\n3,4\n', 'utf16le').swap16());
    await expect(checkInput(bare)).rejects.toThrow(/--encoding utf-16be/);
    await expect(checkInput(bare, { encoding: 'utf-16be' })).resolves.toMatchObject({ format: 'csv' });
    await expect(checkInput(fx('utf16.csv'))).resolves.toMatchObject({ format: 'csv' });
  });

  it('a UTF-16 file under another name is refused too (content, not extension)', async () => {
    const file = path.join(dir, 'renamed.ndjson');
    writeFileSync(file, Buffer.from('{"a":1}\n{"a":2}\n', 'utf16le'));
    await expect(openInput(file, {})).rejects.toThrow(/renamed\.ndjson: this file looks like UTF-16/);
  });
});

describe('InputSource', () => {
  it('describes a file: name, format, size, bytes read, CSV columns', async () => {
    const src = await openInput(fx('transactions.csv'), {});
    expect(src).toMatchObject({
      file: fx('transactions.csv'),
      displayName: fx('transactions.csv'),
      format: 'csv',
      sizeBytes: statSync(fx('transactions.csv')).size,
    });
    expect(src.columns()).toBeNull();
    const { items } = await drain(src, 50);
    expect(items).toHaveLength(300);
    expect(src.bytesRead()).toBe(src.sizeBytes);
    expect(src.columns()).toEqual(['account_id', 'amount', 'transaction_date', 'description', 'category']);
  });

  it('reads stdin ("-") in every format with --format, named stdin, size unknown', async () => {
    const inputs = {
      csv: 'a,b\n1,"x,y"\n',
      ndjson: '{"a":"1","b":"x,y"}\n',
      json: '[{"a":"1","b":"x,y"}]',
    } as const;
    for (const format of ['csv', 'ndjson', 'json'] as const) {
      const src = await openInput('-', { format, stdin: Readable.from([Buffer.from(inputs[format])]) });
      expect(src).toMatchObject({ file: '-', displayName: 'stdin', format, sizeBytes: null });
      const { items, error } = await drain(src);
      expect(error, format).toBeNull();
      expect(records(items), format).toEqual([{ a: '1', b: 'x,y' }]);
    }
  });

  it('refuses UTF-16 without a byte order mark on stdin at the first read, before any row', async () => {
    const src = await openInput('-', {
      format: 'csv',
      stdin: Readable.from([Buffer.from('a,b\n1,2\n', 'utf16le')]),
    });
    const { items, error } = await drain(src);
    expect(items).toEqual([]);
    expect(error?.message).toMatch(/^stdin: this file looks like UTF-16LE.*--encoding utf-16le/);
  });

  it('reads UTF-16 on stdin by its byte order mark', async () => {
    const src = await openInput('-', {
      format: 'csv',
      stdin: Readable.from([Buffer.from('\uFEFFa,b\n1,é\n', 'utf16le').swap16()]),
    });
    expect(records((await drain(src)).items)).toEqual([{ a: '1', b: 'é' }]);
  });

  it('reads stdin in UTF-16 with --encoding utf16le', async () => {
    const src = await openInput('-', {
      format: 'ndjson',
      encoding: 'utf16le',
      stdin: Readable.from([Buffer.from('\uFEFF{"a":"é"}\n', 'utf16le')]),
    });
    expect(records((await drain(src)).items)).toEqual([{ a: 'é' }]);
  });

  it('close() stops a read half way without leaking the file', async () => {
    const src = await openInput(fx('transactions.ndjson'), {});
    for await (const batch of src.batches(10)) {
      expect(batch).toHaveLength(10);
      break;
    }
    await src.close();
  });
});
