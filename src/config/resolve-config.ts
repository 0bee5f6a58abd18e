// Config resolution, pure: flags beat the environment, the environment beats the config file, the
// file beats the defaults. Reading files is load-config.ts's job; an upload's own settings (batch
// size, concurrency, columns) are resolved with the rest of its plan (upload/plan/resolve-run-plan.ts).
import { BulkError } from '../errors/bulk-error.js';
import { FORMAT_KEYS, profileFormats, type ProfileFormats } from './profile-formats.js';

/** One profile of a config file, or the same settings from flags and environment. */
export interface ProfileSettings {
  url?: string;
  tokenFile?: string;
  batchSize?: number;
  concurrency?: number;
  /** Input column → resource field, as `--map` gives it (a profile's `columns`). */
  columns?: Record<string, string>;
  /** How files write values (`locale`, `date_format`, …): flags override each key. */
  formats?: ProfileFormats;
}

export interface ConfigFile {
  /** Profile used when none is named. */
  defaultProfile?: string;
  profiles: Record<string, ProfileSettings>;
}

export interface ResolvedConfig {
  /** null: start the embedded server. */
  url: string | null;
  token: string | null;
  tokenSource: 'env' | 'token-file' | null;
  tokenFile: string | null;
  profile: string | null;
  /** The chosen profile's settings as the file gives them ({} without a profile): an upload's plan reads them. */
  settings: ProfileSettings;
}

export const DEFAULTS = { batchSize: 5000, concurrency: 4 } as const;

/** A setting from flags, environment or the config file that cannot be used; names which. */
export class ConfigError extends BulkError {
  constructor(message: string) {
    super('config', message);
  }
}

/**
 * Flags beat environment, environment beats the config file, the file beats defaults. Pure:
 * reading files happens in load-config.ts, so every precedence rule is unit-tested here.
 */
export function resolveConfig(input: {
  flags: Pick<ProfileSettings, 'url' | 'tokenFile'> & { profile?: string };
  env: Record<string, string | undefined>;
  file: ConfigFile | null;
  readToken: (path: string) => string;
}): ResolvedConfig {
  const { flags, env, file } = input;
  const profileName = flags.profile ?? env.BULK_PROFILE ?? file?.defaultProfile ?? null;
  let profile: ProfileSettings = {};
  if (profileName) {
    const found = file?.profiles[profileName];
    if (!found) {
      const known = Object.keys(file?.profiles ?? {});
      const where = known.length ? ` (profiles: ${known.join(', ')})` : ' (no config file found)';
      throw new ConfigError(`no profile named "${profileName}"${where}`);
    }
    profile = found;
  }
  const url = nonEmpty(flags.url) ?? nonEmpty(env.BULK_URL) ?? profile.url ?? null;
  if (url !== null) checkUrl(url);
  const tokenFile = flags.tokenFile ?? nonEmpty(env.BULK_TOKEN_FILE) ?? profile.tokenFile ?? null;
  let token: string | null = null;
  let tokenSource: ResolvedConfig['tokenSource'] = null;
  if (flags.tokenFile || (!nonEmpty(env.BULK_TOKEN) && tokenFile)) {
    token = input.readToken(tokenFile as string).trim();
    tokenSource = 'token-file';
    if (!token) throw new ConfigError(`token file ${tokenFile} is empty`);
  } else if (nonEmpty(env.BULK_TOKEN)) {
    token = (env.BULK_TOKEN as string).trim();
    tokenSource = 'env';
  }
  return {
    url,
    token,
    tokenSource,
    tokenFile: tokenSource === 'token-file' ? tokenFile : null,
    profile: profileName,
    settings: profile,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new ConfigError(`URL must be http or https: ${url}`);
}

/** Validates a parsed config file, naming what is wrong. */
export function parseConfigFile(raw: unknown, source: string): ConfigFile {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${source}: expected a JSON object`);
  const obj = raw as Record<string, unknown>;
  const profilesRaw = obj.profiles ?? {};
  if (typeof profilesRaw !== 'object' || profilesRaw === null || Array.isArray(profilesRaw))
    throw new ConfigError(`${source}: "profiles" must be an object`);
  const profiles: Record<string, ProfileSettings> = {};
  for (const [name, value] of Object.entries(profilesRaw as Record<string, unknown>)) {
    if (!value || typeof value !== 'object') throw new ConfigError(`${source}: profile "${name}" must be an object`);
    const p = value as Record<string, unknown>;
    const known = new Set(['url', 'token_file', 'batch_size', 'concurrency', 'columns', ...FORMAT_KEYS]);
    for (const key of Object.keys(p)) {
      if (!known.has(key))
        throw new ConfigError(
          `${source}: profile "${name}": unknown setting "${key}" (known: ${[...known].join(', ')})`,
        );
    }
    if ('token' in p) throw new ConfigError(`${source}: put tokens in a token_file, not in the config`);
    profiles[name] = {
      url: optString(p.url, source, name, 'url'),
      tokenFile: optString(p.token_file, source, name, 'token_file'),
      batchSize: optNumber(p.batch_size, source, name, 'batch_size'),
      concurrency: optNumber(p.concurrency, source, name, 'concurrency'),
      columns: optColumns(p.columns, source, name),
      formats: profileFormats(p, `${source}: profile "${name}"`),
    };
  }
  const def = obj.default_profile;
  if (def !== undefined && typeof def !== 'string')
    throw new ConfigError(`${source}: "default_profile" must be a string`);
  if (def !== undefined && !profiles[def])
    throw new ConfigError(`${source}: default_profile "${def}" is not among the profiles`);
  return { defaultProfile: def, profiles };
}

function optString(v: unknown, source: string, profile: string, key: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new ConfigError(`${source}: profile "${profile}": ${key} must be a string`);
  return v;
}

function optNumber(v: unknown, source: string, profile: string, key: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number') throw new ConfigError(`${source}: profile "${profile}": ${key} must be a number`);
  return v;
}

/** `"columns": {"amt": "amount"}`: input column → resource field, both non-empty strings. */
function optColumns(v: unknown, source: string, profile: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  const bad = () =>
    new ConfigError(
      `${source}: profile "${profile}": columns must map input column names to field names, e.g. {"amt": "amount"}`,
    );
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw bad();
  for (const [from, to] of Object.entries(v)) if (!from || typeof to !== 'string' || !to) throw bad();
  return { ...(v as Record<string, string>) };
}
