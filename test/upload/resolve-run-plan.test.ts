import { describe, expect, it } from 'vitest';
import { ConfigError, type ProfileSettings } from '../../src/config/resolve-config.js';
import type { RunFlags, RunPlan } from '../../src/upload/plan/run-plan.js';
import { resolveRunPlan } from '../../src/upload/plan/resolve-run-plan.js';

const plan = (
  flags: Partial<RunFlags> = {},
  env: Record<string, string> = {},
  settings: ProfileSettings = {},
  url: string | null = null,
  resumed?: RunPlan,
) => resolveRunPlan({ files: ['a.csv'], ...flags }, { url, settings }, env, resumed);

describe('resolveRunPlan: a flag beats the environment beats the profile beats the default', () => {
  const cases: [string, Partial<RunFlags>, Record<string, string>, ProfileSettings, Partial<RunPlan>][] = [
    ['defaults', {}, {}, {}, { batchSize: 5000, concurrency: 4 }],
    ['the profile', {}, {}, { batchSize: 500, concurrency: 8 }, { batchSize: 500, concurrency: 8 }],
    [
      'the environment over the profile',
      {},
      { BULK_BATCH_SIZE: '200', BULK_CONCURRENCY: '2' },
      { batchSize: 500, concurrency: 8 },
      { batchSize: 200, concurrency: 2 },
    ],
    [
      'a flag over the environment',
      { batchSize: 50, concurrency: 3 },
      { BULK_BATCH_SIZE: '200', BULK_CONCURRENCY: '2' },
      { batchSize: 500 },
      { batchSize: 50, concurrency: 3 },
    ],
    ['a blank variable is not set', {}, { BULK_BATCH_SIZE: ' ' }, { batchSize: 500 }, { batchSize: 500 }],
    [
      "the profile's columns, --map laid over",
      { map: { Betrag: 'total' } },
      {},
      { columns: { Betrag: 'amount', Konto: 'account_id' } },
      { columnMap: { Betrag: 'total', Konto: 'account_id' } },
    ],
    ['no columns at all', {}, {}, {}, { columnMap: undefined }],
  ];
  it.each(cases)('%s', (_name, flags, env, settings, want) => {
    expect(plan(flags, env, settings)).toMatchObject(want);
  });

  it('refuses a batch size or concurrency that is not a whole number of at least 1, naming it', () => {
    expect(() => plan({}, { BULK_CONCURRENCY: 'lots' })).toThrow(ConfigError);
    expect(() => plan({}, { BULK_CONCURRENCY: 'lots' })).toThrow(/concurrency/);
    expect(() => plan({}, {}, { batchSize: 0 })).toThrow(/batch size must be a whole number of at least 1 \(got 0\)/);
  });

  it('turns the flags into the settings the run reads', () => {
    expect(
      plan({
        upsert: true,
        uniqueFields: ['a'],
        updateFields: ['b'],
        wait: false,
        events: false,
        delimiter: ';',
        header: true,
        maxDepth: 7,
        db: 'x.db',
      }),
    ).toMatchObject({
      upsert: { uniqueFields: ['a'], updateFields: ['b'] },
      noWait: true,
      useEvents: false,
      dryRun: false,
      csv: { delimiter: ';' },
      limits: { maxDepth: 7, maxRecordChars: 16 * 1024 * 1024 },
      target: { url: null, database: 'x.db' },
    });
    expect(plan({ delete: true, upsert: true, uniqueFields: ['k'] })).toMatchObject({
      delete: { uniqueFields: ['k'] },
      upsert: undefined,
    });
    expect(plan({ header: false, columns: ['a', 'b'] }).csv).toEqual({ header: false, columns: ['a', 'b'] });
  });
});

describe('resolveRunPlan on a resume: the saved plan, with only this invocation’s own settings', () => {
  const saved = plan(
    {
      files: ['x.csv', 'y.csv'],
      batchSize: 10,
      concurrency: 2,
      resource: 'transactions',
      delimiter: ';',
      map: { a: 'b' },
      upsert: true,
      uniqueFields: ['k'],
      failedRowsDir: 'saved-out',
      maxErrors: { count: 1 },
    },
    {},
    {},
    'http://saved:1',
  );
  const cases: [string, Partial<RunFlags>, Record<string, string>, ProfileSettings, string | null, Partial<RunPlan>][] =
    [
      [
        'nothing given: as saved',
        {},
        {},
        {},
        null,
        { files: ['x.csv', 'y.csv'], batchSize: 10, concurrency: 2, target: { url: 'http://saved:1', database: null } },
      ],
      [
        'how the files are read and sent is never taken from flags, env or profile',
        { files: [], batchSize: 99, resource: 'other', delimiter: ',', map: { c: 'd' }, upsert: false },
        { BULK_BATCH_SIZE: '77' },
        { batchSize: 55, columns: { e: 'f' } },
        null,
        {
          files: ['x.csv', 'y.csv'],
          batchSize: 10,
          resource: 'transactions',
          csv: { delimiter: ';' },
          columnMap: { a: 'b' },
          upsert: { uniqueFields: ['k'], updateFields: undefined },
        },
      ],
      [
        '--concurrency given: this invocation’s',
        { concurrency: 6 },
        { BULK_CONCURRENCY: '9' },
        {},
        null,
        { concurrency: 6 },
      ],
      [
        'where to send: the configured URL, else the saved one',
        { db: 'other.db' },
        {},
        {},
        'http://now:2',
        { target: { url: 'http://now:2', database: 'other.db' } },
      ],
      [
        'when to stop and whether to wait: this invocation’s',
        { wait: false, events: false },
        {},
        {},
        null,
        { maxErrors: undefined, noWait: true, useEvents: false },
      ],
      [
        'how long to wait on a job, how large an answer, whether to resend unconfirmed: this invocation’s',
        { stallTimeout: 30, maxAnswerSize: 1024, resendUnconfirmed: true },
        {},
        {},
        null,
        { stallMs: 30_000, maxAnswerBytes: 1024, resendUnconfirmed: true },
      ],
      [
        'the failed-rows folder: the saved one first',
        { failedRowsDir: 'now-out' },
        {},
        {},
        null,
        { failedRowsDir: 'saved-out' },
      ],
    ];
  it.each(cases)('%s', (_name, flags, env, settings, url, want) => {
    expect(plan(flags, env, settings, url, saved)).toMatchObject(want);
  });
});
