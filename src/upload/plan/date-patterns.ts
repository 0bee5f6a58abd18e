/**
 * Dates and datetimes in the file's own pattern (`DD.MM.YYYY`, `MM/DD/YYYY HH:mm`) into ISO 8601,
 * parsed strictly by luxon (chosen by bench/date-parse-measure.mjs: the only one of date-fns,
 * dayjs and luxon that refused every impossible date and read zoned datetimes across a DST change
 * right). Patterns use the tokens people know from spreadsheets and moment (YYYY, DD); they are
 * translated to luxon's (yyyy, dd).
 */
import { DateTime } from 'luxon';

/** moment-style token → luxon token; letters not here are literal text. */
const TOKENS: Record<string, string> = {
  YYYY: 'yyyy',
  YY: 'yy',
  MMMM: 'MMMM',
  MMM: 'MMM',
  MM: 'MM',
  M: 'M',
  DD: 'dd',
  D: 'd',
  HH: 'HH',
  H: 'H',
  hh: 'hh',
  h: 'h',
  mm: 'mm',
  m: 'm',
  ss: 'ss',
  s: 's',
  SSS: 'SSS',
  A: 'a',
  a: 'a',
  Z: 'ZZ',
  ZZ: 'ZZZ',
  // luxon's own spellings, so either style works.
  yyyy: 'yyyy',
  yy: 'yy',
  dd: 'dd',
  d: 'd',
};

/** A pattern in luxon's syntax: tokens translated, other text quoted. */
export function toLuxonPattern(pattern: string): string {
  let out = '';
  for (const run of pattern.match(/([A-Za-z])\1*|[^A-Za-z]+/g) ?? []) {
    const token = TOKENS[run];
    if (token) out += token;
    else if (/^[A-Za-z]/.test(run)) out += `'${run}'`;
    else out += run.replace(/'/g, "''");
  }
  return out;
}

export interface DateReader {
  /** ISO text (`2022-11-13`, or a datetime in UTC), or null when no pattern reads it. */
  read(text: string): string | null;
  /** The patterns, for messages. */
  label: string;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;

/**
 * A reader for the patterns. ISO text already in the server's form is taken as it is: it cannot
 * be mistaken for a day-first or month-first date. A small cache serves the dates files repeat.
 */
export function dateReader(patterns: string[], kind: 'date' | 'datetime', zone = 'UTC'): DateReader {
  const formats = patterns.map(toLuxonPattern);
  const cache = new Map<string, string | null>();
  const parse = (text: string): string | null => {
    if ((kind === 'date' ? ISO_DATE : ISO_DATETIME).test(text)) return text;
    for (const f of formats) {
      const d = DateTime.fromFormat(text, f, { zone, setZone: false });
      if (!d.isValid) continue;
      return kind === 'date' ? d.toISODate() : d.toUTC().toISO({ suppressMilliseconds: true });
    }
    return null;
  };
  return {
    label: patterns.join(' or '),
    read(text) {
      const t = text.trim();
      let v = cache.get(t);
      if (v === undefined) {
        v = parse(t);
        if (cache.size > 10_000) cache.clear();
        cache.set(t, v);
      }
      return v;
    },
  };
}
