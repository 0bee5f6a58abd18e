/** The log levels `bulk serve --log-level` accepts (no imports: the CLI loads this at start-up). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
