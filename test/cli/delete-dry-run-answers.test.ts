// `bulk delete --dry-run` believes a server's count of the records a delete would remove only when
// it adds up against the batch (the same reconciliation as a finished job's); a server without the
// question (guide-only) or with an answer that does not add up gets a warning, and no count.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { assertValidResult } from '../helpers/result-schema.js';
import { tempDir } from '../helpers/temp.js';

let close: (() => void) | null = null;
afterEach(() => {
  close?.();
  close = null;
});

/** A server that answers only the match question, with `answer(rows)` (null: 404, as a guide-only server). */
async function matchServer(answer: (rows: number) => unknown): Promise<{ url: string; asked: () => number }> {
  let asked = 0;
  const server = http.createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (d: string) => (text += d));
    req.on('end', () => {
      const isMatch = req.method === 'POST' && /^\/api\/transactions\/bulk\/match\/\?/.test(req.url ?? '');
      const body = isMatch ? answer((JSON.parse(text) as unknown[]).length) : null;
      if (isMatch) asked++;
      const status = body === null ? 404 : body === TOO_LARGE ? 413 : 200;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(
        body === JSON_NULL
          ? 'null'
          : JSON.stringify(status === 200 ? body : { error: status === 413 ? 'Too many items' : 'Not found' }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  close = () => server.close();
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked: () => asked };
}

async function dryRun(url: string) {
  const dir = tempDir('bulk-dry-delete-');
  const file = path.join(dir, 'gone.csv');
  writeFileSync(file, 'account_id,transaction_date,description\n1,2024-01-01,a\n2,2024-01-01,b\n3,2024-01-01,c\n');
  const run = await runCli(
    [
      'delete',
      file,
      '--resource',
      'transactions',
      '--unique-fields',
      'account_id,transaction_date,description',
      '--dry-run',
      '--json',
    ],
    { env: { BULK_URL: url, BULK_STATE_DIR: path.join(dir, 'state') } },
  );
  const result = JSON.parse(run.stdout) as {
    exit_code: number;
    counts: Record<string, number>;
    errors: { line: number; reason: string }[];
  };
  assertValidResult(result);
  return { ...run, result };
}

/** Answered as 413, as a server whose item limit the batch is over. */
const TOO_LARGE = Symbol('413');
/** Answered as 200 with the JSON body `null`. */
const JSON_NULL = Symbol('null');

const NO_RECORD = { field: 'account_id,transaction_date,description', error: 'no record with this key' };

describe('bulk delete --dry-run and the server that counts', () => {
  it('a count that adds up: would_delete, and the rows it names failed by line, exit 1', async () => {
    const s = await matchServer((rows) => ({
      total_items: rows,
      matched_items: rows - 1,
      errors: [{ index: 1, ...NO_RECORD }],
    }));
    const { code, result, stderr } = await dryRun(s.url);
    expect(code, stderr).toBe(1);
    expect(result.counts).toEqual({ read: 3, stored: 0, failed: 1, unprocessed: 0, unconfirmed: 0, would_delete: 2 });
    expect(result.errors).toEqual([
      { file: expect.stringMatching(/gone\.csv$/), line: 3, field: NO_RECORD.field, reason: NO_RECORD.error },
    ]);
  });

  // Found from outside: a 413 ended the dry run (exit 3, "refuses even one row") where the real delete splits its batches.
  it('a batch too large for the server is asked in halves, as the delete jobs would be sent', async () => {
    const s = await matchServer((rows) => (rows > 1 ? TOO_LARGE : { total_items: 1, matched_items: 1, errors: [] }));
    const { code, result, stderr } = await dryRun(s.url);
    expect(code, stderr).toBe(0);
    expect(result.counts).toEqual({ read: 3, stored: 0, failed: 0, unprocessed: 0, unconfirmed: 0, would_delete: 3 });
    expect(s.asked()).toBe(5);
  });

  const unusable: [string, (rows: number) => unknown, RegExp][] = [
    ['a guide-only server (404)', () => null, /does not offer a count/],
    [
      'more matched than sent',
      (rows) => ({ total_items: rows, matched_items: rows + 1, errors: [] }),
      /does not add up \(matched_items 4 is more than the 3 rows sent\)/,
    ],
    ['a 200 whose body is null', () => JSON_NULL, /does not add up/],
    [
      'matched and failed not adding up',
      (rows) => ({ total_items: rows, matched_items: rows, errors: [{ index: 0, ...NO_RECORD }] }),
      /does not add up/,
    ],
    [
      'an error outside the batch',
      (rows) => ({ total_items: rows, matched_items: rows - 1, errors: [{ index: rows, ...NO_RECORD }] }),
      /does not add up/,
    ],
    [
      'the same row failed twice',
      (rows) => ({
        total_items: rows,
        matched_items: rows - 2,
        errors: [
          { index: 0, ...NO_RECORD },
          { index: 0, ...NO_RECORD },
        ],
      }),
      /does not add up/,
    ],
    [
      'another batch size',
      (rows) => ({ total_items: rows + 1, matched_items: rows + 1, errors: [] }),
      /does not add up/,
    ],
    [
      'errors as strings',
      (rows) => ({ total_items: rows, matched_items: rows - 1, errors: ['row 2: no record'] }),
      /names no row|does not add up/,
    ],
    ['not an object', () => 'yes', /does not add up/],
  ];
  it.each(unusable)('%s: a warning, no count, no row failed on its word, exit 0', async (_name, answer, warning) => {
    const s = await matchServer(answer);
    const { code, result, stderr } = await dryRun(s.url);
    expect(s.asked()).toBe(1);
    expect(code, stderr).toBe(0);
    expect(result.counts).toEqual({ read: 3, stored: 0, failed: 0, unprocessed: 0, unconfirmed: 0 });
    expect(stderr).toMatch(warning);
  });
});
