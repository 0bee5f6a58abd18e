// The flags that bound what bulk waits for and reads from a server (the request timeout, the
// answer size limit, the stall bound), and the resume's consent to resend unconfirmed batches.
import { Option, type Command } from 'commander';
import { nonNegativeSeconds, recordSize } from './options.js';

export function addAnswerOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--timeout <seconds>',
        'per-request timeout: silence before an answer, or inside one (a body that stops or drips)',
      )
        .argParser(nonNegativeSeconds)
        .default(30),
    )
    .addOption(
      new Option(
        '--max-answer-size <size>',
        'largest server answer (JSON body or event line) bulk reads (default 64MiB)',
      ).argParser(recordSize),
    )
    .addOption(
      new Option(
        '--stall-timeout <seconds>',
        'give up on a job whose progress has not moved for this long: its rows are unconfirmed (0: never)',
      )
        .argParser(nonNegativeSeconds)
        .default(600),
    )
    .option(
      '--resend-unconfirmed',
      'on resume: send again the batches still unconfirmed after asking the server, ' +
        'even where that could store rows twice',
    );
}
