import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FailedRowsFiles } from '../../src/upload/state/failed-rows-files.js';
import { tempDir } from '../helpers/temp.js';

describe('FailedRowsFiles claims', () => {
  it('a resume whose checkpoint never named the file continues the run’s own file, not a second one', () => {
    const dir = tempDir('bulk-sink-');
    const input = path.join(dir, 'in.csv');
    writeFileSync(input, 'a,b\n');
    const claims = path.join(dir, 'run', 'failed-rows.json');

    // The first run fails a row, then is killed before any checkpoint save named its file.
    const first = new FailedRowsFiles(undefined, {}, claims);
    first.describe('in.csv', 'csv', input);
    first.setColumns('in.csv', ['a', 'b']);
    first.write({ file: 'in.csv', line: 2, reason: 'bad' }, { record: { a: '1', b: 'x' } });
    first.checkpointState(); // flushes the file; the state it returns is lost with the kill
    const file = path.join(dir, 'in.failed.csv');
    expect(existsSync(file)).toBe(true);

    // The resume: the checkpoint has no path for in.csv, so its rows are redone from scratch.
    const again = new FailedRowsFiles(undefined, {}, claims);
    again.describe('in.csv', 'csv', input);
    again.setColumns('in.csv', ['a', 'b']);
    again.write({ file: 'in.csv', line: 2, reason: 'bad' }, { record: { a: '1', b: 'x' } });
    again.checkpointState();
    void again.close();

    expect(readdirSync(dir).filter((f) => f.includes('.failed'))).toEqual(['in.failed.csv']);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2); // the header and the one failed row, once
    expect(lines[1]).toMatch(/^1,x,2,/);
  });
});
