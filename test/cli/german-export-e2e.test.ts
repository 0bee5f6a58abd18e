// The done-when of issue 23, end to end: a customer list exported from Excel in Germany (a sep=;
// first line, Windows-1252, CRLF, 1.234,56, 13.11.2022, ja/nein, WAHR/FALSCH, umlauts and €) loads
// with --encoding windows-1252 --locale de-DE --date-format DD.MM.YYYY and no other flag; its
// failed-rows file, fixed with sed and uploaded with the same flags, stores the rest: every
// umlaut exact, the sum of the amounts exact to the cent.
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { spawnServer, type ServerProcess } from '../helpers/server-process.js';
import { tempDir } from '../helpers/temp.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures');
const FLAGS = ['--encoding', 'windows-1252', '--locale', 'de-DE', '--date-format', 'DD.MM.YYYY'];

/** What the store must hold at the end: the fixture's rows, fixed, in the server's types. */
const EXPECTED = [
  [1, 'Jürgen Müller', 'München', '1234.56', '2022-11-13', 1],
  [2, 'Zoë Bäcker', 'Köln', '-0.99', '2021-02-01', 0],
  [3, 'Café König GmbH', 'Düsseldorf', '12345678.90', '2020-02-29', 1],
  [4, 'Groß & Söhne', 'Straßburg', '0.01', '1999-12-31', 0],
  [5, 'Ærøskøbing Ænergi', 'Hamburg', '999.99', '2022-02-28', 1],
  [6, '€uro-Händler „Übersee“', 'Bremen', '100.00', '2023-06-15', 0],
  [7, 'Ölmühle; am Fluß', 'Lübeck', '7.50', '2007-07-07', 1],
  [8, 'Bürgerbüro', 'Fürth', '1234.50', '2008-08-08', 1],
  [9, 'Naïve Façade', 'Aachen', '1000000.00', '2019-09-09', 1],
  [13, 'Zweite Käserei', 'Görlitz', '2500.25', '2010-10-10', 0],
] as const;

const cents = (text: string) => {
  const [whole, frac = ''] = text.replace('-', '').split('.');
  return (text.startsWith('-') ? -1 : 1) * (Number(whole) * 100 + Number(frac.padEnd(2, '0')));
};

let server: ServerProcess | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

describe('the German customer export', () => {
  it('loads with three flags; its failed rows, fixed with sed, load with the same flags, exact to the umlaut and the cent', async () => {
    const dir = tempDir('bulk-kunden-');
    server = await spawnServer({
      dbPath: path.join(dir, 'server.db'),
      args: ['--resources', path.join(FIXTURES, 'kunden.resources.json')],
    });
    const env = { BULK_URL: server.url, BULK_STATE_DIR: path.join(dir, 'state') };
    const input = path.join(dir, 'kunden.csv');
    copyFileSync(path.join(FIXTURES, 'kunden.csv'), input);

    const first = await runCli(['upload', input, ...FLAGS], { env });
    expect(first.code, first.stderr).toBe(1);
    // Noted once, though the file is opened twice (its header is checked before the run).
    expect(first.stderr.split('delimiter \';\' (from its first line "sep=;"')).toHaveLength(2);
    expect(first.stderr).toMatch(/rows: 10 read, 7 stored, 3 failed/);
    // Both errors of line 10 at once, each naming the value, the field and the format tried.
    expect(first.stderr).toContain('umsatz: "12.34,5" is not a number as de-DE (1.234,56) writes it (--locale de-DE)');
    expect(first.stderr).toContain('newsletter: "vielleicht" is not one of ja, wahr');
    expect(first.stderr).toContain('seit: "31.02.2022" is not a date in the format DD.MM.YYYY (--date-format)');

    // The failed-rows file is written as the input was: sep line, Windows-1252, CRLF.
    const failed = path.join(dir, 'kunden.failed.csv');
    const bytes = readFileSync(failed);
    expect(bytes.subarray(0, 7).toString('latin1')).toBe('sep=;\r\n');
    expect(bytes.includes(Buffer.from('Zweite K\xe4serei', 'latin1'))).toBe(true);
    expect(bytes.includes(Buffer.from('Ã'))).toBe(false);
    expect(bytes.toString('latin1').split('\r\n').length).toBe(6);

    execFileSync('sed', [
      '-i',
      '-e',
      's/31\\.02\\.2022/28.02.2022/',
      '-e',
      's/12\\.34,5/1.234,50/',
      '-e',
      's/vielleicht/ja/',
      '-e',
      's/^3;Zweite/13;Zweite/',
      failed,
    ]);
    const second = await runCli(['upload', failed, ...FLAGS], { env });
    expect(second.stderr).toMatch(/rows: 3 read, 3 stored, 0 failed/);
    expect(second.code, second.stderr).toBe(0);

    const db = new Database(server.dbPath, { readonly: true });
    try {
      const rows = db
        .prepare('SELECT kundennr, name, stadt, umsatz, seit, newsletter FROM kunden ORDER BY kundennr')
        .all() as Record<string, unknown>[];
      expect(rows.map((r) => Object.values(r).map((v) => (typeof v === 'number' ? v : String(v))))).toEqual(
        EXPECTED.map((r) => [...r]),
      );
      const sum = rows.reduce((acc, r) => acc + cents(String(r.umsatz)), 0);
      expect(sum).toBe(EXPECTED.reduce((acc, r) => acc + cents(r[3]), 0));
      expect(sum).toBe(1_335_175_472);
    } finally {
      db.close();
    }
  }, 60_000);

  it('a row whose value does not convert also names what else the server would refuse in it', async () => {
    const dir = tempDir('bulk-kunden-');
    server = await spawnServer({
      dbPath: path.join(dir, 'server.db'),
      args: ['--resources', path.join(FIXTURES, 'kunden.resources.json')],
    });
    const env = { BULK_URL: server.url, BULK_STATE_DIR: path.join(dir, 'state') };
    const input = path.join(dir, 'kunden.csv');
    writeFileSync(
      input,
      Buffer.from(
        'sep=;\r\nkundennr;name;umsatz;seit\r\n1;;12,3x;13.11.2022\r\n2;B\xe4r;1,00;01.01.2020\r\n',
        'latin1',
      ),
    );
    const res = await runCli(['upload', input, ...FLAGS], { env });
    expect(res.stderr).toMatch(/rows: 2 read, 1 stored, 1 failed/);
    expect(res.stderr).toContain(
      'umsatz: "12,3x" is not a number as de-DE (1.234,56) writes it (--locale de-DE); name: is required',
    );
  }, 60_000);
});
