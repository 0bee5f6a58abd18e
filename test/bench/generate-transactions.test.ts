import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import {
  descriptionOf,
  generateTransactions,
  INVALID_KINDS,
  isInvalidRow,
  transactionRow,
} from '../../bench/transactions-generator.mjs';
import { readAll, records } from '../input/read-helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'bulk-generator-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('generateTransactions', () => {
  it('same seed, same bytes; another seed, other bytes', async () => {
    const a = path.join(dir, 'a.csv');
    const b = path.join(dir, 'b.csv');
    const c = path.join(dir, 'c.csv');
    await generateTransactions({ rows: 5000, seed: 42, invalidShare: 0.05, format: 'csv', out: a });
    await generateTransactions({ rows: 5000, seed: 42, invalidShare: 0.05, format: 'csv', out: b });
    await generateTransactions({ rows: 5000, seed: 43, invalidShare: 0.05, format: 'csv', out: c });
    expect(sha(a)).toBe(sha(b));
    expect(sha(a)).not.toBe(sha(c));
  });

  it('reports the invalid rows it wrote, and isInvalidRow names exactly them', async () => {
    const rows = 20_000;
    const result = await generateTransactions({
      rows,
      seed: 9,
      invalidShare: 0.02,
      format: 'ndjson',
      out: path.join(dir, 'inv.ndjson'),
    });
    let predicted = 0;
    for (let i = 0; i < rows; i++) if (isInvalidRow(i, 9, 0.02)) predicted++;
    expect(result).toEqual({ rows, invalid: predicted });
    // The share is close to what was asked for.
    expect(predicted / rows).toBeGreaterThan(0.015);
    expect(predicted / rows).toBeLessThan(0.025);
    // Each invalid row is broken one of the known ways; valid rows are well-formed.
    for (let i = 0; i < 2000; i++) {
      const row = transactionRow(i, 9, 0.02);
      const valid =
        /^\d+$/.test(row.account_id) && /^-?\d+\.\d{2}$/.test(row.amount) && row.transaction_date !== '2024-02-30';
      expect(valid, `row ${i}`).toBe(!isInvalidRow(i, 9, 0.02));
    }
    expect(INVALID_KINDS).toHaveLength(6);
    await expect(
      generateTransactions({ rows: 10, seed: 1, invalidShare: 0, format: 'csv', out: path.join(dir, 'zero.csv') }),
    ).resolves.toEqual({ rows: 10, invalid: 0 });
  });

  it('keeps the unique key (account_id, transaction_date, description) unique', async () => {
    const keys = new Set<string>();
    const descriptions = new Set<string>();
    for (let i = 0; i < 50_000; i++) {
      const row = transactionRow(i, 5, 0.01);
      keys.add(`${row.account_id}|${row.transaction_date}|${row.description}`);
      descriptions.add(descriptionOf(i));
    }
    expect(keys.size).toBe(50_000);
    expect(descriptions.size).toBe(50_000);
    expect(descriptionOf(123)).toMatch(/^Invoice 0000123 for /);
  });

  it('writes CSV, NDJSON and JSON that the readers read back as the same rows, quoted commas and quotes included', async () => {
    const files = { csv: path.join(dir, 'x.csv'), ndjson: path.join(dir, 'x.ndjson'), json: path.join(dir, 'x.json') };
    for (const format of ['csv', 'ndjson', 'json'] as const)
      await generateTransactions({ rows: 300, seed: 2, invalidShare: 0.1, format, out: files[format] });
    const csv = await readAll(files.csv);
    const nd = await readAll(files.ndjson);
    const json = await readAll(files.json);
    for (const r of [csv, nd, json]) {
      expect(r.error).toBeNull();
      expect(r.items.every((i) => i.kind === 'row')).toBe(true);
      expect(r.items).toHaveLength(300);
    }
    expect(records(nd.items)).toEqual(records(json.items));
    const descriptions = records(csv.items).map((r) => r?.description);
    expect(descriptions).toEqual(records(nd.items).map((r) => r?.description));
    expect(descriptions.some((d) => String(d).includes(', '))).toBe(true);
    expect(descriptions.some((d) => String(d).includes('"'))).toBe(true);
  });

  it('waits for a slow writable instead of buffering the whole output', async () => {
    let bytes = 0;
    let maxQueued = 0;
    const slow: Writable = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        maxQueued = Math.max(maxQueued, slow.writableLength);
        setTimeout(done, 1);
      },
    });
    await generateTransactions({ rows: 50_000, seed: 1, format: 'csv', out: slow });
    expect(bytes).toBeGreaterThan(3_000_000);
    // Without waiting for 'drain' the whole output would queue up in the stream.
    expect(maxQueued).toBeLessThan(256 * 1024);
  });
});
