/** The program: builds the command tree, runs it, and ends every path through the exit path. */
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { begin, end, endingOfError, takeSettled, type Ending } from './exit-path.js';
import { guardStdio } from './safe-stdio.js';

/**
 * Runs `bulk` and returns its exit code. Commands settle an ending or throw; both reach end(), and
 * so do errors nobody caught (an exception in a callback, a rejected promise nobody awaited).
 */
export async function main(argv: readonly string[]): Promise<number> {
  guardStdio();
  begin(argv);
  const crash = (err: unknown) => {
    process.exitCode = end(endingOfError(err));
    process.exit();
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  let ending: Ending;
  try {
    const program = await buildProgram();
    await program.parseAsync(argv as string[]);
    ending = takeSettled() ?? { kind: 'completed', message: null };
  } catch (err) {
    ending = endingOfError(err);
  }
  return end(ending);
}

const TOP_EXAMPLES = `
Examples:
  $ bulk upload transactions.csv                  # embedded server, bars on a terminal
  $ bulk upload data.ndjson --url http://jobs:8000 --resource transactions
  $ bulk upload fixes.csv --upsert --unique-fields account_id,transaction_date,description
  $ bulk upload --resume                          # finish the newest run that stopped
  $ bulk delete gone.csv --unique-fields account_id,transaction_date,description
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
    .exitOverride();
  // Each command module is loaded only when named, so `bulk --version` stays fast.
  const { registerCommands } = await import('./commands/index.js');
  registerCommands(program);
  for (const cmd of [program, ...program.commands]) {
    cmd.exitOverride();
    // The exit path prints commander's errors, with the one `bulk: ` prefix and the next step.
    cmd.configureOutput({ outputError: () => undefined });
  }
  return program;
}
