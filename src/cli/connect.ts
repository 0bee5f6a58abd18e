/**
 * Connecting a command to its server: the shared connection flags, the config, an embedded server when no URL is given.
 */
import { Option, type Command } from 'commander';
// Types only: undici loads when a command first talks to a server, not for --version or --help.
import type { JobApiClient } from '../client/job-api-client.js';
import type { ResolvedConfig } from '../config/resolve-config.js';
import { loadConfig } from '../config/load-config.js';
import { BulkError } from '../errors/bulk-error.js';

export interface ConnectionFlags {
  url?: string;
  tokenFile?: string;
  profile?: string;
  config?: string;
  db?: string;
  timeout?: number;
}

/** The flags every command that talks to a server shares. */
export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--url <url>', 'job API base URL; without it, the embedded server on --db').env('BULK_URL'))
    .addOption(new Option('--token-file <path>', 'file holding the API token (or BULK_TOKEN)').env('BULK_TOKEN_FILE'))
    .addOption(new Option('--profile <name>', 'config file profile').env('BULK_PROFILE'))
    .addOption(new Option('--config <file>', 'config file').env('BULK_CONFIG'))
    .option('--db <path>', 'embedded server only: its SQLite database (or BULK_DB)');
}

export interface Connection {
  client: JobApiClient;
  config: ResolvedConfig;
  embedded: boolean;
  close(): Promise<void>;
}

export function resolveFlags(flags: ConnectionFlags): ResolvedConfig {
  return loadConfig({
    url: flags.url,
    tokenFile: flags.tokenFile,
    profile: flags.profile,
    config: flags.config,
  });
}

type ClientHooks = Partial<
  Pick<ConstructorParameters<typeof JobApiClient>[0], 'onHttp' | 'onRetry' | 'retry' | 'signal'>
>;

/** A client for the configured server, or for an embedded one on the default database. */
export async function connect(
  flags: ConnectionFlags,
  hooks: ClientHooks = {},
  onStage?: (text: string) => void,
): Promise<Connection> {
  const config = resolveFlags(flags);
  return connectTo({ url: config.url, database: flags.db ?? null }, config, {
    timeoutSeconds: flags.timeout,
    hooks,
    onStage,
  });
}

/** A client for `target.url`, or for an embedded server on `target.database` (the default database when null). */
export async function connectTo(
  target: { url: string | null; database: string | null },
  config: ResolvedConfig,
  opts: {
    timeoutSeconds?: number;
    maxAnswerBytes?: number;
    hooks?: ClientHooks;
    onStage?: (text: string) => void;
  } = {},
): Promise<Connection> {
  let server: { url: string; close(): Promise<void> } | null = null;
  let url = target.url;
  if (!url) {
    opts.onStage?.('Starting the embedded server…');
    const [{ startEmbeddedServer }, { chooseDatabase }] = await Promise.all([
      import('../server/embedded-server.js'),
      import('../server/database-setting.js'),
    ]);
    const database = chooseDatabase(target.database);
    // What stops it is the database path or its disk, never a bug to report: a configuration error.
    server = await startEmbeddedServer(database).catch((err: Error) => {
      throw new BulkError(
        'config',
        `the embedded server could not start: ${err.message}`,
        '--db or BULK_DB chooses another database',
      );
    });
    url = server.url;
  }
  const { JobApiClient } = await import('../client/job-api-client.js');
  const client = new JobApiClient({
    baseUrl: url,
    token: config.token ?? undefined,
    timeoutMs: (opts.timeoutSeconds ?? 30) * 1000,
    maxAnswerBytes: opts.maxAnswerBytes,
    ...opts.hooks,
  });
  return {
    client,
    config,
    embedded: server !== null,
    close: async () => {
      await client.close();
      await server?.close();
    },
  };
}
