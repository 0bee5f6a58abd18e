/**
 * The upload flags that say how input files are written (CSV dialect, value formats) and how their
 * columns become fields (`--map`, `--ignore-unknown`): their commander options, and the checks of
 * their combinations.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { parseCharFlag, type CsvDialect } from '../input/csv-dialect.js';
import { parseColumnMap } from '../upload/plan/column-plan.js';
import { BulkError } from '../errors/bulk-error.js';
import { splitList } from '../upload/plan/value-formats.js';

/**
 * The dialect flags are named as the dialect's settings (`--no-header` gives `header: false`); they,
 * `--map`, `--ignore-unknown` and the value-format flags are fields of RunFlags (upload/plan/run-plan.ts).
 */
export type InputFlags = CsvDialect;

function repeated(value: string, previous?: string[]): string[] {
  return [...(previous ?? []), value];
}

function words(value: string): string[] {
  const list = splitList(value);
  if (list.length === 0) throw new InvalidArgumentError('expected comma-separated words, e.g. ja,wahr');
  return list;
}

function char(value: string): string {
  const parsed = parseCharFlag(value);
  if ('error' in parsed) throw new InvalidArgumentError(parsed.error);
  return parsed.char;
}

function count(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('expected a whole number');
  return Number(value);
}

function columnMap(value: string, previous?: Record<string, string>): Record<string, string> {
  try {
    return { ...previous, ...parseColumnMap(value) };
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function names(value: string): string[] {
  const list = value.split(',').map((c) => c.trim());
  if (list.length === 0 || list.some((c) => c === ''))
    throw new InvalidArgumentError(
      'expected comma-separated column names, e.g. --columns account_id,amount,transaction_date',
    );
  return list;
}

export function addInputOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--delimiter <char>',
        'CSV delimiter: one character, or \\t for tab (default: detected ' +
          'from the header among , ; \\t |; .tsv files: tab)',
      ).argParser(char),
    )
    .addOption(new Option('--quote <char>', 'CSV quote character (default ")').argParser(char))
    .addOption(
      new Option(
        '--escape <char>',
        'CSV character that escapes a quote inside quotes (default: the quote, doubled)',
      ).argParser(char),
    )
    .addOption(new Option('--comment <char>', 'CSV lines starting with this character are skipped').argParser(char))
    .addOption(new Option('--skip-lines <n>', 'CSV lines to skip before the header (a preamble)').argParser(count))
    .option('--no-header', 'the CSV file has no header row: name its columns with --columns')
    .addOption(new Option('--columns <a,b,c>', 'with --no-header: the field of each column, in order').argParser(names))
    .option('--trim', 'drop spaces around CSV values')
    .option('--null-value <text>', 'CSV values that are exactly this text are sent as null (e.g. NULL, \\N)')
    .addOption(
      new Option(
        '--map <src=field,...>',
        'send column src as field (repeatable; adds to the profile\'s "columns")',
      ).argParser(columnMap),
    )
    .option('--ignore-unknown', 'leave out columns the resource does not have instead of refusing the file')
    .option('--locale <tag>', 'numbers and yes/no words as this locale writes them (e.g. de-DE: 1.234,56, ja/nein)')
    .addOption(
      new Option('--decimal-separator <char>', 'the decimal mark of numbers (e.g. ,)').argParser((v: string) => {
        if ([...v].length !== 1) throw new InvalidArgumentError('expected one character');
        return v;
      }),
    )
    .addOption(
      new Option(
        '--date-format <pattern>',
        'dates written like this, e.g. DD.MM.YYYY (repeatable: tried in order)',
      ).argParser(repeated),
    )
    .addOption(
      new Option(
        '--datetime-format <pattern>',
        'datetimes written like this, e.g. "DD.MM.YYYY HH:mm" (repeatable: tried in order)',
      ).argParser(repeated),
    )
    .option('--timezone <zone>', 'the IANA time zone of datetimes written without an offset (default UTC)')
    .addOption(new Option('--true-values <a,b>', "the words that mean true (replace the locale's)").argParser(words))
    .addOption(new Option('--false-values <a,b>', "the words that mean false (replace the locale's)").argParser(words));
}

/** The dialect flags no single flag's parser can check: `--no-header` with `--columns`, distinct characters. */
export function checkInputFlags(flags: InputFlags): void {
  if (flags.header === false && !flags.columns)
    throw new BulkError(
      'usage',
      '--no-header needs --columns naming each column',
      'e.g. --no-header --columns account_id,amount,transaction_date',
    );
  if (flags.columns && flags.header !== false)
    throw new BulkError(
      'usage',
      "--columns goes with --no-header; to rename a header's columns use --map",
      'e.g. --map amt=amount',
    );
  const roles = [
    ['--delimiter', flags.delimiter],
    [flags.quote === undefined ? '--quote (default ")' : '--quote', flags.quote ?? '"'],
    ['--comment', flags.comment],
  ] as const;
  for (const [i, [flag, ch]] of roles.entries()) {
    const other = roles.slice(i + 1).find(([, c]) => ch !== undefined && c === ch);
    if (other)
      throw new BulkError('usage', `${flag} and ${other[0]} cannot be the same character (${JSON.stringify(ch)})`);
  }
}
