/**
 * `bulk serve` as a process: one pino stream on stderr for everything it says (start-up, access,
 * worker, errors, a crash), the one stdout line scripts read the URL from, and a clean stop on
 * SIGINT/SIGTERM. A crash is logged as one JSON line before the process exits 1.
 */
import { newNodeId } from './observe/node-id.js';
import type { LogLevel } from './observe/log-levels.js';
import { createServerLogger, stderrDestination } from './observe/server-log.js';
import type { ServeConfig } from './serve-config.js';
import { startServer } from './start-server.js';

export async function serveUntilSignalled(config: ServeConfig, level: LogLevel = 'info'): Promise<void> {
  const nodeId = newNodeId();
  const log = createServerLogger(nodeId, stderrDestination(), level);
  const crash = (kind: string) => (err: unknown) => {
    log.fatal({ err: err instanceof Error ? err : new Error(String(err)) }, kind);
    process.exit(1);
  };
  process.on('uncaughtException', crash('uncaught exception'));
  process.on('unhandledRejection', crash('unhandled rejection'));
  const server = await startServer({ ...config, logger: log, nodeId });
  // The one stdout line, a contract: scripts and tests read the URL (the real port with --port 0) from it.
  process.stdout.write(`bulk serve listening on ${server.url} (db: ${server.database})\n`);
  log.info(
    config.tokens.length ? `${config.tokens.length} token(s); each sees only its own jobs` : 'no tokens; loopback only',
  );
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      log.info({ signal: sig }, `${sig}: finishing the chunk in hand and closing`);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      void server.close().then(resolve);
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}
