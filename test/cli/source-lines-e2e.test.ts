// Original lines through re-uploads: a failed-rows file sent again names its rows by the line they
// came from in the original input (`transactions.csv:34, via transactions.failed.csv:2`), in the
// terminal, in --json and in its own failed-rows file, however many rounds it takes.
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { assertValidResult } from '../helpers/result-schema.js';
import { runCli } from '../helpers/run-cli.js';
import { spawnServer, type ServerProcess } from '../helpers/server-process.js';
import { tempDir } from '../helpers/temp.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures');
/** The lines of fixtures/transactions.csv the server refuses (fixtures/README.md). */
const BAD_LINES = [34, 65, 96, 127, 158, 189];

let server: ServerProcess | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

function sourceLines(file: string): number[] {
  const rows = parse(readFileSync(file), { columns: true }) as Record<string, string>[];
  return rows.map((r) => Number(r._source_line));
}

describe('a failed-rows file uploaded again', () => {
  it('names its rows by their original lines, and its own failed-rows file keeps them', async () => {
    const dir = tempDir('bulk-origin-');
    server = await spawnServer({ dbPath: path.join(dir, 'server.db') });
    const env = { BULK_URL: server.url, BULK_STATE_DIR: path.join(dir, 'state') };
    const input = path.join(dir, 'transactions.csv');
    copyFileSync(path.join(FIXTURES, 'transactions.csv'), input);
    expect((await runCli(['upload', input], { env })).code).toBe(1);
    const failed = path.join(dir, 'transactions.failed.csv');
    expect(sourceLines(failed)).toEqual(BAD_LINES);

    // Sent again unfixed: the same rows fail, named by where they came from.
    const again = await runCli(['upload', failed, '--json', '-v'], { env });
    const doc = JSON.parse(again.stdout);
    assertValidResult(doc);
    expect(doc.errors.map((e: { origin?: string; line: number }) => [e.origin, e.line])).toEqual(
      BAD_LINES.map((l, i) => [`${input}:${l}`, i + 2]),
    );
    expect(again.stderr).toContain(`${input}:34, via ${failed}:2`);

    const next = readdirSync(dir).filter((f) => f.includes('.failed') && f !== 'transactions.failed.csv');
    expect(next).toHaveLength(1);
    expect(sourceLines(path.join(dir, next[0] as string))).toEqual(BAD_LINES);
  }, 60_000);
});
