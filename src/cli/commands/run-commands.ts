// `bulk runs` (the runs the server keeps, one row each) and `bulk runs prune` (the local run
// folders): thin adapters over run-actions.ts and upload/state/prune-runs.ts.
import { Command, Option } from 'commander';
import { settle } from '../exit-path.js';
import { addConnectionOptions, type ConnectionFlags } from '../connect.js';
import { positiveInteger } from '../options.js';

type JsonFlag = { json?: boolean };

const prunedJson = (p: { runId: string; lastChange: Date; unfinished: boolean }) => ({
  run_id: p.runId,
  last_change: p.lastChange.toISOString(),
  unfinished: p.unfinished,
});

export function runCommands(): Command {
  const runs = addConnectionOptions(new Command('runs'))
    .description('list recent runs (one per upload), newest first: files, rows read/stored/failed, state')
    .addHelpText(
      'before',
      '\nExamples:\n  $ bulk runs\n  $ bulk runs --limit 5 --json\n  $ bulk runs prune --older-than 30d\n',
    )
    .addOption(new Option('--limit <n>', 'how many').argParser(positiveInteger).default(20))
    .option('--json', 'print the runs as JSON')
    .action(async (flags: ConnectionFlags & JsonFlag & { limit: number }) => {
      const { showRuns } = await import('../run-actions.js');
      settle(await showRuns(flags));
    });
  runs
    .command('prune')
    .description('remove local run folders (checkpoints, logs) not changed for a while; live runs are kept')
    .requiredOption('--older-than <age>', 'e.g. 30d, 12h (units s, m, h, d, w)')
    .option('--dry-run', 'list what would go, remove nothing')
    .option('--json', 'print {pruned, kept} as JSON')
    .action(async (own: JsonFlag & { olderThan: string; dryRun?: boolean }, cmd: Command) => {
      // `--json` after `prune` is parsed by `runs`, which has it too.
      const flags = { ...own, json: own.json ?? (cmd.parent?.opts() as JsonFlag | undefined)?.json };
      const { pruneRuns, parseAge } = await import('../../upload/state/prune-runs.js');
      const { pruned, kept } = pruneRuns(parseAge(flags.olderThan), { dryRun: flags.dryRun });
      if (flags.json)
        process.stdout.write(
          `${JSON.stringify({ pruned: pruned.map(prunedJson), kept, dry_run: Boolean(flags.dryRun) }, null, 2)}\n`,
        );
      else {
        for (const p of pruned)
          process.stdout.write(`${p.runId}\t${p.lastChange.toISOString()}${p.unfinished ? '\tunfinished' : ''}\n`);
        process.stderr.write(
          `${flags.dryRun ? 'would remove' : 'removed'} ${pruned.length} run ` +
            `${pruned.length === 1 ? 'folder' : 'folders'}, kept ${kept}\n`,
        );
      }
      settle({ kind: 'completed', message: null, documentWritten: Boolean(flags.json) });
    });
  return runs;
}
