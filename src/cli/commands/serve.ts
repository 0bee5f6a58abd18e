/** `bulk serve`: flags → validated server configuration → startServer, until SIGINT or SIGTERM. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { BulkError } from '../../errors/bulk-error.js';
import { positiveInteger } from '../options.js';
import { LOG_LEVELS } from '../../server/observe/log-levels.js';
import type { ServeFlags } from '../../server/serve-config.js';

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('expected a port, 0–65535');
  return n;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the bundled job server: the bulk job API on an embedded SQLite database')
    .addHelpText(
      'before',
      '\n' +
        'Examples:\n' +
        '  $ bulk serve                                  # http://127.0.0.1:8000\n' +
        '  $ bulk serve --port 9000 --db ./jobs.db --resources resources.json\n',
    )
    .addOption(new Option('--port <n>', 'port to listen on (0: any free port)').argParser(port).default(8000))
    .addOption(new Option('--host <addr>', 'address to listen on').default('127.0.0.1'))
    .addOption(
      new Option(
        '--db <path|url>',
        'SQLite database (default: $XDG_DATA_HOME/bulk/bulk.db, ~/.local/share/bulk/bulk.db), ' +
          'or a postgres:// URL for many nodes sharing the work; also BULK_DB, BULK_DATABASE_URL',
      ),
    )
    .option('--resources <file>', 'JSON file defining more resources (see docs/server.md)')
    .addOption(
      new Option('--max-body-bytes <n>', 'largest request body (default 67108864, 64 MiB)').argParser(positiveInteger),
    )
    .addOption(new Option('--max-items <n>', 'most records in one job (default 100000)').argParser(positiveInteger))
    .addOption(
      new Option('--max-queued-jobs <n>', 'open and running jobs before new ones get 429 (default 1000)').argParser(
        positiveInteger,
      ),
    )
    .addOption(
      new Option(
        '--max-queued-jobs-per-token <n>',
        "one token's open and running jobs before its new ones get 429; other tokens' still go in (default 32)",
      ).argParser(positiveInteger),
    )
    .addOption(
      new Option(
        '--chunk-rows <n>',
        'records per transaction, fixed (default: sized to about 100 ms of work, 500–20000)',
      ).argParser(positiveInteger),
    )
    .addOption(
      new Option(
        '--token-file <path>',
        'tokens, one a line as TOKEN or NAME TOKEN; also BULK_SERVE_TOKEN_FILE, ' +
          'and BULK_SERVE_TOKENS (comma-separated)',
      ),
    )
    .addOption(
      new Option(
        '--metrics-token-file <path>',
        "the operator's token for GET /metrics (first line of the file); also BULK_METRICS_TOKEN_FILE and " +
          'BULK_METRICS_TOKEN. Tenant tokens never open /metrics; with them and without this, it is refused',
      ),
    )
    .addOption(
      new Option(
        '--retention <duration>',
        'sets how long the database keeps finished jobs and their errors (7d, 12h, 30m), ' +
          "for every node on it (default: the database's, else 7d)",
      ),
    )
    .addOption(
      new Option(
        '--lease-seconds <n>',
        'PostgreSQL: how long a node may go silent before another takes its job over (default 5)',
      ).argParser(positiveInteger),
    )
    .addOption(
      new Option('--log-level <level>', 'least severe log line written to stderr').choices(LOG_LEVELS).default('info'),
    )
    .option('-q, --quiet', 'no access lines on stderr (errors and worker events stay)')
    .action(async (flags: ServeFlags) => {
      const [{ serveUntilSignalled }, { resolveServeConfig }] = await Promise.all([
        import('../../server/serve-process.js'),
        import('../../server/serve-config.js'),
      ]);
      const config = resolveServeConfig(flags, process.env);
      try {
        await serveUntilSignalled(config, flags.logLevel);
      } catch (err) {
        if (err instanceof BulkError) throw err;
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE')
          throw new BulkError(
            'usage',
            `port ${flags.port} on ${flags.host} is already in use`,
            'pick another with --port, or --port 0 for any free port',
          );
        if (code === 'EADDRNOTAVAIL' || code === 'EACCES')
          throw new BulkError('usage', `cannot listen on ${flags.host}:${flags.port} (${code})`);
        if (code && ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET'].includes(code))
          throw new BulkError(
            'unreachable',
            `cannot start: the database cannot be reached: ${(err as Error).message}`,
            'check --db / BULK_DATABASE_URL',
          );
        throw new BulkError(
          'config',
          `cannot start: ${(err as Error).message}`,
          'check --db / BULK_DATABASE_URL and the database it names',
        );
      }
    });
}
