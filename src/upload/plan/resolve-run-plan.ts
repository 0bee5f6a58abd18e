/**
 * resolveRunPlan(): flags, the configuration, the environment and (on a resume) the saved plan →
 * the run plan. Pure, in the shape of vite's resolveConfig(): a flag beats the environment, the
 * environment beats the config profile, the profile beats the default; a resume keeps every
 * setting of how its files are read and sent as the checkpoint saved it, and takes from this
 * invocation only where to send, how many jobs at once, when to stop and whether to wait.
 */
import { ConfigError, DEFAULTS, type ProfileSettings } from '../../config/resolve-config.js';
import type { CsvDialect } from '../../input/csv-dialect.js';
import { DEFAULT_RECORD_LIMITS } from '../../input/record-limits.js';
import { DIALECT_KEYS, type RunFlags, type RunPlan } from './run-plan.js';
import { mergeFormats } from './value-formats.js';

/** What the configuration gives a plan: the URL it settled on (flag, BULK_URL, profile) and the profile's settings. */
export interface PlanConfig {
  url: string | null;
  settings: ProfileSettings;
}

type Env = Record<string, string | undefined>;

export function resolveRunPlan(flags: RunFlags, config: PlanConfig, env: Env, resumed?: RunPlan): RunPlan {
  const invocation = {
    maxErrors: flags.maxErrors,
    dryRun: flags.dryRun === true,
    noWait: flags.wait === false,
    useEvents: flags.events !== false,
    stallMs: flags.stallTimeout === undefined ? undefined : flags.stallTimeout * 1000,
    maxAnswerBytes: flags.maxAnswerSize,
    resendUnconfirmed: flags.resendUnconfirmed === true,
  };
  if (resumed)
    return {
      ...resumed,
      ...invocation,
      concurrency: flags.concurrency ?? resumed.concurrency,
      failedRowsDir: resumed.failedRowsDir ?? flags.failedRowsDir,
      target: { url: config.url ?? resumed.target.url, database: flags.db ?? resumed.target.database },
    };
  const profile = config.settings;
  const map = { ...profile.columns, ...flags.map };
  return {
    files: flags.files,
    resource: flags.resource,
    format: flags.format,
    encoding: flags.encoding,
    limits: {
      maxRecordChars: flags.maxRecordSize ?? DEFAULT_RECORD_LIMITS.maxRecordChars,
      maxDepth: flags.maxDepth ?? DEFAULT_RECORD_LIMITS.maxDepth,
    },
    csv: dialectOf(flags),
    columnMap: Object.keys(map).length > 0 ? map : undefined,
    ignoreUnknown: flags.ignoreUnknown,
    formats: mergeFormats(
      {
        locale: flags.locale,
        decimalSeparator: flags.decimalSeparator,
        dateFormats: flags.dateFormat,
        datetimeFormats: flags.datetimeFormat,
        timezone: flags.timezone,
        trueValues: flags.trueValues,
        falseValues: flags.falseValues,
      },
      profile.formats,
    ),
    batchSize: positiveInt(
      flags.batchSize ?? envInt(env.BULK_BATCH_SIZE) ?? profile.batchSize ?? DEFAULTS.batchSize,
      'batch size',
    ),
    concurrency: positiveInt(
      flags.concurrency ?? envInt(env.BULK_CONCURRENCY) ?? profile.concurrency ?? DEFAULTS.concurrency,
      'concurrency',
    ),
    upsert:
      flags.upsert && !flags.delete
        ? { uniqueFields: flags.uniqueFields ?? [], updateFields: flags.updateFields }
        : undefined,
    delete: flags.delete ? { uniqueFields: flags.uniqueFields ?? [] } : undefined,
    failedRowsDir: flags.failedRowsDir,
    ...invocation,
    target: { url: config.url, database: flags.db ?? null },
  };
}

/** The CSV dialect the flags give (`header` only when it is false), or undefined when they give none. */
function dialectOf(flags: CsvDialect): CsvDialect | undefined {
  const csv: CsvDialect = {};
  for (const key of DIALECT_KEYS) if (flags[key] !== undefined) Object.assign(csv, { [key]: flags[key] });
  if (flags.header !== false) delete csv.header;
  return Object.keys(csv).length > 0 ? csv : undefined;
}

function envInt(value: string | undefined): number | undefined {
  const v = value?.trim();
  return v ? Number(v) : undefined;
}

function positiveInt(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new ConfigError(`${what} must be a whole number of at least 1 (got ${value})`);
  return value;
}
