import { Command, CommanderError } from 'commander';
import { ExitError } from './errors.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { VERSION } from './version.js';

/**
 * The one place that turns errors into exit codes. Commands report, then throw; nothing else
 * calls process.exit.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const program = await buildProgram();
  try {
    await program.parseAsync(argv as string[]);
    return (process.exitCode as ExitCodeValue | undefined) ?? ExitCode.Ok;
  } catch (err) {
    return reportFatal(err);
  }
}

const TOP_EXAMPLES = `
Examples:
  $ bulk upload transactions.csv                  # embedded server, bars on a terminal
  $ bulk upload data.ndjson --url http://jobs:8000 --resource transactions
  $ bulk upload fixes.csv --upsert --unique-fields account_id,transaction_date,description
  $ bulk upload --resume                          # finish the newest run that stopped
  $ bulk jobs                                     # recent jobs; any 8-character id works below
  $ bulk errors 1a2b3c4d                          # every rejected record of a job
  $ bulk serve --port 8000                        # the job server on its own
`;

export async function buildProgram(): Promise<Command> {
  const program = new Command('bulk')
    .description('Stream CSV, JSON and NDJSON files into a bulk job API, and serve one.')
    .addHelpText('before', TOP_EXAMPLES)
    .version(VERSION, '-V, --version')
    .showSuggestionAfterError()
    .configureOutput({ outputError: (str, write) => write(str) })
    .exitOverride();
  // Each command module is loaded only when named, so `bulk --version` stays fast.
  const { registerCommands } = await import('./commands/index.js');
  registerCommands(program);
  for (const sub of program.commands) sub.exitOverride();
  return program;
}

function reportFatal(err: unknown): number {
  if (err instanceof CommanderError) {
    // --help and --version end here too, with exit code 0.
    if (err.exitCode === 0) return ExitCode.Ok;
    return ExitCode.Usage;
  }
  if (err instanceof ExitError) {
    process.stderr.write(`bulk: ${err.message}\n`);
    for (const hint of err.hints) process.stderr.write(`  ${hint}\n`);
    return err.exitCode;
  }
  const error = err instanceof Error ? err : new Error(String(err));
  process.stderr.write(`bulk: internal error: ${error.message}\n`);
  if (process.env.BULK_DEBUG) process.stderr.write(`${error.stack ?? ''}\n`);
  else process.stderr.write('  Set BULK_DEBUG=1 for the stack trace, and report it.\n');
  return ExitCode.Internal;
}
