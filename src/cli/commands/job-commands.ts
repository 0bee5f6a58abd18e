// The job commands (status, aggregates, errors, jobs, abort, watch): each a thin adapter from its
// flags to one call in job-actions.ts, ended through the exit path.
import { Command, Option } from 'commander';
import { JOB_STATES } from '../../protocol/index.js';
import { settle } from '../exit-path.js';
import { addConnectionOptions, type ConnectionFlags } from '../connect.js';
import { positiveInteger } from '../options.js';
import { looksLikeRunId } from '../../client/run-api.js';

type JsonFlag = { json?: boolean };

/** `bulk status|aggregates|errors|jobs|abort|watch`: thin adapters over job-actions.ts. */
export function jobCommands(): Command[] {
  const status = addConnectionOptions(new Command('status'))
    .description("show a job's (or a run's) state, progress and counts")
    .addHelpText(
      'before',
      '\n' +
        'Examples:\n' +
        '  $ bulk status 550e8400-e29b-41d4-a716-446655440000\n' +
        '  $ bulk status 550e8400-e29b-41d4-a716-446655440000 --json | jq .state\n',
    )
    .argument('<job-or-run-id>', 'a job id (or its 8-character start), or a run id (or a unique start of one)')
    .option('--json', 'print the status JSON')
    .action(async (jobId: string, flags: ConnectionFlags & JsonFlag) => {
      if (looksLikeRunId(jobId)) return settle(await (await import('../run-actions.js')).showRunStatus(jobId, flags));
      const { showStatus } = await import('../job-actions.js');
      settle(await showStatus(jobId, flags));
    });

  const aggregates = addConnectionOptions(new Command('aggregates'))
    .description("show a finished job's aggregates")
    .addHelpText('before', '\nExamples:\n  $ bulk aggregates 550e8400-e29b-41d4-a716-446655440000\n')
    .argument('<job-id>')
    .option('--json', 'print the aggregates JSON')
    .action(async (jobId: string, flags: ConnectionFlags & JsonFlag) => {
      const { showAggregates } = await import('../job-actions.js');
      settle(await showAggregates(jobId, flags));
    });

  const errors = addConnectionOptions(new Command('errors'))
    .description('list every record error of a job or a run: file:line, field, error, value')
    .addHelpText(
      'before',
      '\n' +
        'Examples:\n' +
        '  $ bulk errors 550e8400-e29b-41d4-a716-446655440000\n' +
        '  $ bulk errors 550e8400-e29b-41d4-a716-446655440000 --json > errors.json\n',
    )
    .argument('<job-or-run-id>', 'a job id (or its 8-character start), or a run id (or a unique start of one)')
    .option('--json', 'print {job_id, total, errors} as JSON')
    .addOption(new Option('--page-size <n>', 'errors fetched per request').argParser(positiveInteger).default(1000))
    .action(async (jobId: string, flags: ConnectionFlags & JsonFlag & { pageSize: number }) => {
      if (looksLikeRunId(jobId)) return settle(await (await import('../run-actions.js')).showRunErrors(jobId, flags));
      const { showErrors } = await import('../job-actions.js');
      settle(await showErrors(jobId, flags));
    });

  const jobs = addConnectionOptions(new Command('jobs'))
    .description('list recent jobs, newest first')
    .addHelpText('before', '\nExamples:\n  $ bulk jobs\n  $ bulk jobs --state "In Progress" --limit 5 --json\n')
    .addOption(new Option('--state <state>', 'only jobs in this state').choices([...JOB_STATES]))
    .addOption(new Option('--limit <n>', 'how many').argParser(positiveInteger).default(20))
    .option('--json', 'print the jobs as JSON')
    .action(async (flags: ConnectionFlags & JsonFlag & { state?: string; limit: number }) => {
      const { showJobs } = await import('../job-actions.js');
      settle(await showJobs(flags));
    });

  const abort = addConnectionOptions(new Command('abort'))
    .description('stop a job (or every unfinished job of a run); rows already processed keep their results')
    .addHelpText('before', '\nExamples:\n  $ bulk abort 550e8400-e29b-41d4-a716-446655440000\n')
    .argument('<job-or-run-id>', 'a job id (or its 8-character start), or a run id (or a unique start of one)')
    .option('--json', 'print the status JSON after the abort')
    .action(async (jobId: string, flags: ConnectionFlags & JsonFlag) => {
      if (looksLikeRunId(jobId)) return settle(await (await import('../run-actions.js')).abortRunAction(jobId, flags));
      const { abortJob } = await import('../job-actions.js');
      settle(await abortJob(jobId, flags));
    });

  const watch = addConnectionOptions(new Command('watch'))
    .description('follow jobs until they finish, with the same bars and lines as upload')
    .addHelpText(
      'before',
      '\nExamples:\n  $ bulk watch 550e8400-e29b-41d4-a716-446655440000 6ba7b810-9dad-11d1-80b4-00c04fd430c8\n',
    )
    .argument('<job-or-run-id...>', 'job ids, or run ids (each stands for its jobs)')
    .option('--json', 'print the final statuses as JSON')
    .option('--no-events', 'poll instead of following server events')
    .option('--no-color', 'no colour')
    .action(async (jobIds: string[], flags: ConnectionFlags & JsonFlag & { events: boolean; color: boolean }) => {
      const { watchJobs } = await import('../job-actions.js');
      const { expandRuns } = await import('../run-actions.js');
      settle(await watchJobs(await expandRuns(jobIds, flags), flags));
    });

  return [status, aggregates, errors, jobs, abort, watch];
}
