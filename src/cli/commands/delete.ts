/**
 * `bulk delete FILE --unique-fields a,b`: the upload command's flags and core call, sending each
 * row's key fields as DELETE jobs. Same progress, failed-rows file, resume and exit codes.
 */
import { Command, Option } from 'commander';
import { fieldList } from '../options.js';
import { settle } from '../exit-path.js';
import type { UploadFlags } from '../upload-flags.js';
import { runUploadCommand, uploadCommand } from './upload.js';

const EXAMPLES = `
Examples:
  $ bulk delete gone.csv --unique-fields account_id,transaction_date,description
  $ bulk delete gone.ndjson --resource transactions --unique-fields id --dry-run
  $ bulk resume                                       # finish a delete that stopped
`;

/** Upload flags a delete has no use for, or defines its own way. */
const NOT_FOR_DELETE = ['--upsert', '--unique-fields', '--update-fields', '--resume', '--dry-run'];

export function deleteCommand(): Command {
  const cmd = new Command('delete')
    .description(
      "Delete the records each row's key names, in batches of DELETE jobs; keys with no record are failed rows by line",
    )
    .argument(
      '[file...]',
      'CSV, JSON array or NDJSON files of keys (other columns are read but not sent); - reads stdin (needs --format)',
    )
    .addHelpText('before', EXAMPLES)
    .addOption(
      new Option('--unique-fields <fields>', 'the key fields, comma-separated: a unique key of the resource').argParser(
        fieldList,
      ),
    )
    .option(
      '--dry-run',
      'check every key, and ask the server which name a record (where it can say): ' +
        'would-delete count and would-fail rows, deleting nothing',
    );
  for (const opt of uploadCommand().options) {
    if (NOT_FOR_DELETE.includes(opt.long ?? '')) continue;
    cmd.addOption(opt);
  }
  return cmd.action(async (files: string[], flags: UploadFlags) =>
    settle(await runUploadCommand(files, { ...flags, delete: true })),
  );
}
