import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENDINGS, EXIT_CODE_MEANINGS, type EndKind } from '../../src/errors/exit-codes.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const schema = JSON.parse(readFileSync(path.join(ROOT, 'schemas/upload-result.schema.json'), 'utf8'));

describe('the exit-code table', () => {
  it("is the README's table, code for code", () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const table = [...readme.matchAll(/^\| (\d+) \| /gm)].map((m) => Number(m[1]));
    expect(table).toEqual(EXIT_CODE_MEANINGS.map(([code]) => code));
  });

  it('gives every kind a code the README and the schema know, and a status the schema knows', () => {
    const codes = new Set(EXIT_CODE_MEANINGS.map(([code]) => code));
    for (const [kind, row] of Object.entries(ENDINGS)) {
      expect(codes.has(row.exitCode), kind).toBe(true);
      expect(schema.properties.exit_code.enum).toContain(row.exitCode);
      expect(schema.properties.status.enum).toContain(row.status);
    }
  });

  it('names every error kind in the schema, and only those', () => {
    const outcomes: EndKind[] = [
      'completed',
      'rows-rejected',
      'dry-run',
      'dry-run-rejected',
      'submitted',
      'nothing-to-resume',
    ];
    const errorKinds = Object.keys(ENDINGS).filter((k) => !outcomes.includes(k as EndKind));
    expect([...schema.$defs.error_kind.enum].filter((k: unknown) => k !== null).sort()).toEqual(errorKinds.sort());
  });

  it("gives a run refused by another run's lock its own code, 75 (EX_TEMPFAIL: try again later)", () => {
    expect(ENDINGS.locked.exitCode).toBe(75);
    expect(
      Object.entries(ENDINGS)
        .filter(([, row]) => row.exitCode === 75)
        .map(([k]) => k),
    ).toEqual(['locked']);
  });

  it('ends only successes with 0', () => {
    for (const [kind, row] of Object.entries(ENDINGS))
      if (row.exitCode === 0) expect(['completed', 'dry-run', 'submitted', 'nothing-to-resume']).toContain(kind);
  });
});
