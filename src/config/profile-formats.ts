// A config profile's value-format keys (locale, decimal_separator, date_format, …) into the
// settings the format flags give (upload/plan/value-formats.ts checks what they mean, once merged).
import { BulkError } from '../errors/bulk-error.js';

/** How a file writes its values, as a profile or the format flags give it (the upload's ValueFormats). */
export interface ProfileFormats {
  /** A BCP 47 tag (`de-DE`): its decimal and grouping separators, and its words for true and false. */
  locale?: string;
  /** The decimal mark; grouping separators are then read only as the locale has them. */
  decimalSeparator?: string;
  /** Patterns tried in order, e.g. `DD.MM.YYYY` (YYYY, YY, MM, M, DD, D; HH, mm, ss, SSS, Z). */
  dateFormats?: string[];
  datetimeFormats?: string[];
  /** The IANA zone of datetimes written without an offset. @default UTC */
  timezone?: string;
  trueValues?: string[];
  falseValues?: string[];
}

/** Profile key → setting; the lists take a string or an array of strings. */
const KEYS = {
  locale: 'locale',
  decimal_separator: 'decimalSeparator',
  date_format: 'dateFormats',
  datetime_format: 'datetimeFormats',
  timezone: 'timezone',
  true_values: 'trueValues',
  false_values: 'falseValues',
} as const satisfies Record<string, keyof ProfileFormats>;
const LISTS = new Set(['date_format', 'datetime_format', 'true_values', 'false_values']);

export const FORMAT_KEYS = Object.keys(KEYS);

export function profileFormats(p: Record<string, unknown>, where: string): ProfileFormats | undefined {
  const out: ProfileFormats = {};
  for (const [key, setting] of Object.entries(KEYS)) {
    const v = p[key];
    if (v === undefined) continue;
    const list = typeof v === 'string' ? [v] : Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : null;
    if (!list || (!LISTS.has(key) && (typeof v !== 'string' || v === '')))
      throw new BulkError(
        'config',
        `${where}: ${key} must be ${LISTS.has(key) ? 'a string or a list of strings' : 'a string'}`,
      );
    Object.assign(out, { [setting]: LISTS.has(key) ? list : v });
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
