/**
 * How a file writes its values, when not as the server does (`--locale`, `--decimal-separator`,
 * `--date-format`, `--datetime-format`, `--timezone`, `--true-values`, `--false-values`, or a
 * profile's keys): the settings, checked once, before any row is read.
 */
import { IANAZone } from 'luxon';
import { BulkError } from '../../errors/bulk-error.js';
import type { ProfileFormats } from '../../config/profile-formats.js';

/** The settings, one shape whether a profile or the flags gave them. */
export type ValueFormats = ProfileFormats;

/** The flags, as a message names them. */
export const FORMAT_FLAGS = {
  locale: '--locale',
  decimalSeparator: '--decimal-separator',
  dateFormats: '--date-format',
  datetimeFormats: '--datetime-format',
  timezone: '--timezone',
  trueValues: '--true-values',
  falseValues: '--false-values',
} as const satisfies Record<keyof ValueFormats, string>;

/** Whether these settings change any value: when not, rows go out as read. */
export function convertsAnything(f: ValueFormats | undefined): boolean {
  return (
    f !== undefined &&
    (f.locale !== undefined ||
      f.decimalSeparator !== undefined ||
      (f.dateFormats?.length ?? 0) > 0 ||
      (f.datetimeFormats?.length ?? 0) > 0 ||
      (f.trueValues?.length ?? 0) > 0 ||
      (f.falseValues?.length ?? 0) > 0)
  );
}

/** Flags laid over a profile's settings, key by key; each checked. Undefined when nothing is set. */
export function mergeFormats(flags: ValueFormats, profile: ValueFormats = {}): ValueFormats | undefined {
  const out: ValueFormats = {};
  for (const key of Object.keys(FORMAT_FLAGS) as (keyof ValueFormats)[]) {
    const v = flags[key] ?? profile[key];
    if (v !== undefined) Object.assign(out, { [key]: v });
  }
  checkFormats(out);
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Refuses settings that cannot work, naming the flag (exit 2). */
export function checkFormats(f: ValueFormats): void {
  if (f.locale !== undefined) {
    try {
      const [canonical] = Intl.getCanonicalLocales(f.locale);
      if (!canonical || !Intl.NumberFormat.supportedLocalesOf([canonical]).length) throw new Error('unsupported');
    } catch {
      throw new BulkError('usage', `--locale ${f.locale}: not a locale this Node knows`, 'e.g. --locale de-DE');
    }
  }
  if (f.decimalSeparator !== undefined && [...f.decimalSeparator].length !== 1)
    throw new BulkError('usage', '--decimal-separator takes one character', 'e.g. --decimal-separator ,');
  if (f.timezone !== undefined && !IANAZone.isValidZone(f.timezone))
    throw new BulkError('usage', `--timezone ${f.timezone}: not an IANA time zone`, 'e.g. --timezone Europe/Berlin');
  for (const key of ['dateFormats', 'datetimeFormats'] as const)
    for (const p of f[key] ?? [])
      if (!/[YMDHhms]/.test(p))
        throw new BulkError('usage', `${FORMAT_FLAGS[key]} ${p}: not a date pattern`, 'e.g. DD.MM.YYYY or MM/DD/YYYY');
  const both = (f.trueValues ?? []).filter((w) =>
    (f.falseValues ?? []).some((x) => x.toLowerCase() === w.toLowerCase()),
  );
  if (both.length > 0) throw new BulkError('usage', `--true-values and --false-values both hold ${both.join(', ')}`);
}

/** `a,b,c` as a list; a pattern list is split on `,` only where no pattern holds one. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((w) => w.trim())
    .filter((w) => w !== '');
}
