/**
 * The server's one log stream: pino JSON lines, each with the node id, ISO time and a level name.
 * Access lines, start-up, worker events, store errors and crashes all go through it.
 */
import pino, { type DestinationStream, type Logger } from 'pino';

export type ServerLogger = Logger;

import type { LogLevel } from './log-levels.js';

/** A logger writing to `destination`; without one, a silent logger (the embedded server, tests). */
export function createServerLogger(
  node: string,
  destination?: DestinationStream,
  level: LogLevel = 'info',
): ServerLogger {
  if (!destination) return pino({ level: 'silent' });
  return pino(
    {
      level,
      base: { node },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Tokens never reach a log line, whatever a caller passes by mistake.
      redact: {
        paths: ['token', 'authorization', 'headers.authorization', 'req.headers.authorization'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/** stderr, written synchronously so a crash line is out before the process exits. */
export function stderrDestination(): DestinationStream {
  return pino.destination({ fd: 2, sync: true });
}
