import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { deleteCommand } from '../../src/cli/commands/delete.js';
import { resumeCommand, uploadCommand } from '../../src/cli/commands/upload.js';
import { buildProgram } from '../../src/cli/main.js';
import { checkUploadFlags, type UploadFlags } from '../../src/cli/upload-flags.js';
import { resolveRunPlan } from '../../src/upload/plan/resolve-run-plan.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { BulkError } from '../../src/errors/bulk-error.js';

/** argv as commander parses it for `cmd`, without running the command: the files (or run id) and the flags. */
function parse(
  cmd: Command,
  argv: string[],
  env: Record<string, string> = {},
): { args: unknown[]; flags: UploadFlags } {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    let got: { args: unknown[]; flags: UploadFlags } | null = null;
    cmd.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    cmd.action((...a: unknown[]) => {
      got = { args: a.slice(0, -2), flags: a.at(-2) as UploadFlags };
    });
    cmd.parse(argv, { from: 'user' });
    if (!got) throw new Error('the action did not run');
    return got;
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

/** argv → the run plan, with configuration resolved from flags and `env` only (no config file). */
function request(argv: string[], env: Record<string, string> = {}) {
  const { args, flags } = parse(uploadCommand(), argv, env);
  const files = args[0] as string[];
  const config = resolveConfig({ flags: { url: flags.url }, env, file: null, readToken: () => 'token' });
  checkUploadFlags(files, flags);
  return resolveRunPlan({ ...flags, files }, config, env);
}

describe('bulk upload: argv → the run plan', () => {
  it('every flag lands where the core reads it', () => {
    const r = request([
      'a.csv',
      'b.ndjson',
      '--url',
      'http://jobs:8000',
      '--resource',
      'transactions',
      '--batch-size',
      '100',
      '--concurrency',
      '3',
      '--upsert',
      '--unique-fields',
      'a,b',
      '--update-fields',
      'c',
      '--max-errors',
      '2%',
      '--no-wait',
      '--no-events',
      '--failed-rows-dir',
      'out',
      '--dry-run',
      '--max-depth',
      '7',
    ]);
    expect(r).toMatchObject({
      files: ['a.csv', 'b.ndjson'],
      resource: 'transactions',
      batchSize: 100,
      concurrency: 3,
      upsert: { uniqueFields: ['a', 'b'], updateFields: ['c'] },
      maxErrors: { percent: 2 },
      noWait: true,
      useEvents: false,
      failedRowsDir: 'out',
      dryRun: true,
      limits: { maxDepth: 7 },
      target: { url: 'http://jobs:8000', database: null },
    });
  });

  it('BULK_BATCH_SIZE and BULK_CONCURRENCY are read once, by the plan, below a flag', () => {
    expect(request(['a.csv'], { BULK_BATCH_SIZE: '7', BULK_CONCURRENCY: '2' })).toMatchObject({
      batchSize: 7,
      concurrency: 2,
    });
    expect(request(['a.csv', '--batch-size', '9'], { BULK_BATCH_SIZE: '7' }).batchSize).toBe(9);
    expect(parse(uploadCommand(), ['a.csv'], { BULK_BATCH_SIZE: '7' }).flags.batchSize).toBeUndefined();
    expect(request(['a.csv'])).toMatchObject({ batchSize: 5000, concurrency: 4 });
  });

  it('CSV dialect and column flags become the input settings', () => {
    expect(request(['a.csv', '--delimiter', ';', '--map', 'Betrag=amount', '--ignore-unknown'])).toMatchObject({
      csv: { delimiter: ';' },
      columnMap: { Betrag: 'amount' },
      ignoreUnknown: true,
    });
  });

  it('combinations no single flag can check are usage errors', () => {
    const usage = (argv: string[]) => {
      try {
        request(argv);
      } catch (err) {
        return err instanceof BulkError ? err.kind : err;
      }
      return 'accepted';
    };
    expect(usage([])).toBe('usage');
    expect(usage(['a.csv', '--upsert'])).toBe('usage');
    expect(usage(['a.csv', '--unique-fields', 'a'])).toBe('usage');
    expect(usage(['-'])).toBe('usage');
    expect(usage(['a.csv', '--resume', 'R'])).toBe('usage');
    expect(usage(['--resume'])).toBe('accepted');
  });

  it("bulk resume RUN is bulk upload --resume RUN, and takes none of the run's settings as flags", () => {
    const { args, flags } = parse(resumeCommand(), ['R1', '--concurrency', '2']);
    expect(args[0]).toBe('R1');
    expect(flags.concurrency).toBe(2);
    expect(() => parse(resumeCommand(), ['R1', '--batch-size', '10'])).toThrow(/unknown option/);
  });
});

describe('bulk delete: argv → the run plan', () => {
  const deleteRequest = (argv: string[]) => {
    const { args, flags } = parse(deleteCommand(), argv);
    const config = resolveConfig({ flags: { url: flags.url }, env: {}, file: null, readToken: () => 'token' });
    const files = args[0] as string[];
    checkUploadFlags(files, { ...flags, delete: true });
    return resolveRunPlan({ ...flags, files, delete: true }, config, {});
  };

  it('--unique-fields becomes the delete operation; the upload flags it shares mean the same', () => {
    const r = deleteRequest([
      'gone.csv',
      '--unique-fields',
      'a,b',
      '--resource',
      'transactions',
      '--batch-size',
      '100',
      '--dry-run',
    ]);
    expect(r).toMatchObject({
      files: ['gone.csv'],
      resource: 'transactions',
      batchSize: 100,
      dryRun: true,
      delete: { uniqueFields: ['a', 'b'] },
    });
    expect(r.upsert).toBeUndefined();
  });

  it('needs --unique-fields, and takes neither --upsert nor --update-fields nor --resume', () => {
    expect(() => deleteRequest(['gone.csv'])).toThrow(/needs --unique-fields/);
    for (const flag of ['--upsert', '--update-fields', '--resume'])
      expect(() => parse(deleteCommand(), ['gone.csv', '--unique-fields', 'a', flag, 'x'])).toThrow(/unknown option/);
  });
});

describe("every command's flags", () => {
  it('match the snapshot (a flag added, renamed or dropped shows here, and in the completion scripts)', async () => {
    const program = await buildProgram();
    const flags = program.commands.map((c) => ({
      command: c.name(),
      arguments: c.registeredArguments.map((a) =>
        a.required ? `<${a.name()}${a.variadic ? '...' : ''}>` : `[${a.name()}${a.variadic ? '...' : ''}]`,
      ),
      options: c.options.map((o) => [o.flags, o.envVar ?? null, o.defaultValue ?? null, o.argChoices ?? null]),
    }));
    expect(flags).toMatchSnapshot();
  });
});
