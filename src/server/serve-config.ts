/**
 * Server configuration, validated once: `bulk serve` flags and the environment become the typed
 * options startServer takes, and every environment variable the server knows is read here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BulkError } from '../errors/bulk-error.js';
import { loadTokens, parseTokens, TokenConfigError, type TokenEntry } from './auth/tokens.js';
import { chooseDatabase, isPostgresUrl } from './database-setting.js';
import type { LogLevel } from './observe/log-levels.js';
import { parseDuration } from './retention.js';

/** A configuration the person running the server can fix (kind `config`: exit 2). */
export class ServeConfigError extends BulkError {
  constructor(message: string) {
    super('config', message);
  }
}

export { DEFAULT_LEASE_MS } from './store/store.js';

/** `bulk serve` flags as commander hands them over. */
export interface ServeFlags {
  port: number;
  host: string;
  db?: string;
  resources?: string;
  maxBodyBytes?: number;
  maxItems?: number;
  maxQueuedJobs?: number;
  chunkRows?: number;
  quiet?: boolean;
  tokenFile?: string;
  retention?: string;
  leaseSeconds?: number;
  maxQueuedJobsPerToken?: number;
  logLevel?: LogLevel;
  metricsTokenFile?: string;
}

/** What the flags and environment settle to (the options startServer takes, less its test seams). */
export interface ServeConfig {
  port: number;
  host: string;
  /** A SQLite path (absolute) or a postgres:// URL. */
  database: string;
  resourcesFile?: string;
  maxBodyBytes?: number;
  maxItems?: number;
  maxQueuedJobs?: number;
  maxQueuedJobsPerToken?: number;
  chunkSize?: number;
  tokens: TokenEntry[];
  metricsToken?: TokenEntry;
  retentionMs?: number;
  leaseMs?: number;
  heartbeatMs?: number;
  quiet: boolean;
}

type Env = Record<string, string | undefined>;

/**
 * Flags win over the environment: --db over BULK_DB and BULK_DATABASE_URL, --token-file over
 * BULK_SERVE_TOKEN_FILE; BULK_SERVE_TOKENS adds tokens; --lease-seconds over BULK_LEASE_MS;
 * BULK_HEARTBEAT_MS sets the event streams' heartbeat.
 */
export function resolveServeConfig(flags: ServeFlags, env: Env): ServeConfig {
  let retentionMs: number | undefined;
  if (flags.retention !== undefined) {
    const ms = parseDuration(flags.retention);
    if (ms === null || ms <= 0)
      throw new ServeConfigError(`--retention: expected a duration like 7d, 12h or 30m (got ${flags.retention})`);
    retentionMs = ms;
  }
  let tokens: TokenEntry[];
  try {
    tokens = loadTokens({ tokenFile: flags.tokenFile ?? env.BULK_SERVE_TOKEN_FILE, envTokens: env.BULK_SERVE_TOKENS });
  } catch (err) {
    if (err instanceof TokenConfigError) throw new ServeConfigError(err.message);
    throw err;
  }
  const metricsToken = loadMetricsToken(flags.metricsTokenFile ?? env.BULK_METRICS_TOKEN_FILE, env.BULK_METRICS_TOKEN);
  const named = chooseDatabase(flags.db, env, { urlVariable: true });
  const database = isPostgresUrl(named) ? named : path.resolve(named);
  return {
    port: flags.port,
    host: flags.host,
    database,
    resourcesFile: flags.resources,
    maxBodyBytes: flags.maxBodyBytes,
    maxItems: flags.maxItems,
    maxQueuedJobs: flags.maxQueuedJobs,
    maxQueuedJobsPerToken: flags.maxQueuedJobsPerToken,
    chunkSize: flags.chunkRows,
    tokens,
    metricsToken,
    retentionMs,
    leaseMs: flags.leaseSeconds !== undefined ? flags.leaseSeconds * 1000 : msFromEnv('BULK_LEASE_MS', env),
    heartbeatMs: msFromEnv('BULK_HEARTBEAT_MS', env),
    quiet: flags.quiet === true,
  };
}

function msFromEnv(name: string, env: Env): number | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(value))
    throw new ServeConfigError(`${name} must be a positive whole number of milliseconds (got ${value})`);
  return Number(value);
}

/** The operator's /metrics token: a file holding it (first line), or BULK_METRICS_TOKEN; kept as a hash. */
function loadMetricsToken(file: string | undefined, fromEnv: string | undefined): TokenEntry | undefined {
  let token = fromEnv;
  let source = 'BULK_METRICS_TOKEN';
  if (file !== undefined) {
    try {
      token = readFileSync(file, 'utf8').split(/\r?\n/, 1)[0]?.trim();
    } catch (err) {
      throw new ServeConfigError(`cannot read the metrics token file ${file}: ${(err as NodeJS.ErrnoException).code}`);
    }
    source = file;
  }
  if (token === undefined || token === '') return undefined;
  if (/\s/.test(token.trim())) throw new ServeConfigError(`${source}: the metrics token is one word, no name`);
  try {
    return { ...(parseTokens(token, source)[0] as TokenEntry), name: 'operator' };
  } catch (err) {
    if (err instanceof TokenConfigError) throw new ServeConfigError(err.message);
    throw err;
  }
}
