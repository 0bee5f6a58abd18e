// Text a server sends is data: no escape sequence, carriage return or bidi override from an answer
// reaches the terminal, the --json document or the failed-rows file as a control character.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_SERVER_STRING, parseServerJson, plainServerText } from '../../src/client/server-text.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp.js';

const SRC = path.resolve(import.meta.dirname, '../../src');
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

let close: (() => void) | null = null;
afterEach(() => {
  close?.();
  close = null;
});

describe('server text', () => {
  it('only client/server-text.ts parses JSON in the client, so no answer skips the reviver', () => {
    const parsers = files(path.join(SRC, 'client')).filter((f) =>
      /JSON\.parse\(/.test(readFileSync(f, 'utf8').replace(/\/\/.*|\/\*[\s\S]*?\*\//g, '')),
    );
    expect(parsers.map((f) => path.relative(SRC, f))).toEqual([path.join('client', 'server-text.ts')]);
  });

  it('any string comes out without a control character, cut to the limit, and plain text unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 3000 }), (s) => {
        const out = plainServerText(s);
        expect(out).not.toMatch(CONTROL);
        expect(out).not.toMatch(/[\t\n\r]/);
        expect(out.length).toBeLessThanOrEqual(MAX_SERVER_STRING * 6 + 1);
        if (s.length <= MAX_SERVER_STRING && !CONTROL.test(s) && !/[\t\n\r]/.test(s)) expect(out).toBe(s);
      }),
      { numRuns: Number(process.env.BULK_FC_RUNS ?? 300) },
    );
    expect(parseServerJson('{"a":["x\\u001b[2J\\r\\nFAKE"],"n":1.5}')).toEqual({
      a: ['x\\x1b[2J\\x0d\\x0aFAKE'],
      n: 1.5,
    });
  });

  // Found from outside: a match answer's error text and a 400's message reached the terminal raw,
  // clearing the screen and printing a forged "Done: every row stored" line.
  it('a hostile server cannot repaint the screen or forge a line of bulk output', async () => {
    const evil = 'bad\u001b[31m\r\nFAKE: Done: every row stored (exit 0)\u202e';
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const match = /\/bulk\/match\//.test(req.url ?? '');
        res.writeHead(match ? 200 : 400, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            match
              ? { total_items: 2, matched_items: 1, errors: [{ index: 1, field: 'x\u001b[2J', error: evil }] }
              : { error: evil },
          ),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    close = () => server.close();
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dir = tempDir('bulk-evil-');
    const file = path.join(dir, 'k.csv');
    writeFileSync(file, 'account_id,transaction_date,description\n1,2024-01-01,a\n2,2024-01-01,b\n');
    const env = { BULK_URL: url, BULK_STATE_DIR: path.join(dir, 'state'), FORCE_COLOR: '0' };
    const dry = await runCli(
      [
        'delete',
        file,
        '--resource',
        'transactions',
        '--unique-fields',
        'account_id,transaction_date,description',
        '--dry-run',
        '--failed-rows-dir',
        dir,
      ],
      { env },
    );
    expect(dry.code, dry.stderr).toBe(1);
    const failedRows = readFileSync(path.join(dir, 'k.failed.csv'), 'utf8');
    const upload = await runCli(
      ['upload', file, '--resource', 'transactions', '--failed-rows-dir', path.join(dir, 'up')],
      { env },
    );
    expect(upload.code).not.toBe(0);
    for (const text of [dry.stdout, dry.stderr, failedRows, upload.stdout, upload.stderr]) {
      expect(text).not.toMatch(CONTROL);
      expect(text).not.toMatch(/\rFAKE|\nFAKE/);
    }
    expect(dry.stdout + dry.stderr).toContain('bad\\x1b[31m\\x0d\\x0aFAKE');
    expect(upload.stderr).toContain('bad\\x1b[31m');
  });
});
