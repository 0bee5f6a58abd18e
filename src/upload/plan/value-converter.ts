/**
 * Each row's values from the file's own formats into the server's canonical ones, by the
 * resource's field types: numbers by locale, dates and datetimes by pattern, booleans by the
 * language's words. A clear per-row step: a plan that converts nothing is null, so rows then go
 * out as read (and a CSV body may pass the file's bytes through). Failed rows are written back in
 * the file's formats, so the failed-rows file reads back with the same flags.
 */
import { DateTime } from 'luxon';
import type { ResourceDescription } from '../../protocol/index.js';
import { booleanWords, type BooleanWords } from './boolean-words.js';
import { dateReader, toLuxonPattern, type DateReader } from './date-patterns.js';
import { numberStyle, parseLocaleNumber, type NumberStyle } from './locale-numbers.js';
import { convertsAnything, FORMAT_FLAGS, type ValueFormats } from './value-formats.js';

/** One value a row could not convert. */
export interface ValueProblem {
  field: string;
  reason: string;
}

/** The record converted; or its problems, with the record as far as it converted (for checking the rest). */
export type Converted =
  | { record: Record<string, unknown>; problems?: undefined }
  | { record: Record<string, unknown>; problems: ValueProblem[] };

export interface ValueConverter {
  /** The fields a format flag converts: a hint never suggests a flag for these. */
  readonly fields: ReadonlySet<string>;
  convert(record: Record<string, unknown>): Converted;
  /** A record as sent → its values as the file writes them. */
  restore(record: Record<string, unknown>): Record<string, unknown>;
}

type Kind = 'number' | 'integer' | 'date' | 'datetime' | 'boolean';

interface FieldStep {
  kind: Kind;
  read(text: string): string | null;
  write(value: string): string;
  /** `is not a date in the format DD.MM.YYYY (--date-format)` after the value. */
  tried: string;
}

/** The conversion for a resource, or null when the formats change nothing or the server does not describe it. */
export function planConversion(
  formats: ValueFormats | undefined,
  resource: ResourceDescription | null,
): ValueConverter | null {
  if (!convertsAnything(formats) || !resource) return null;
  const f = formats as ValueFormats;
  const numbers = numberStyle(f.locale, f.decimalSeparator);
  const words = booleanWords(f.locale, f.trueValues, f.falseValues);
  const dates = f.dateFormats?.length ? dateReader(f.dateFormats, 'date') : null;
  const datetimes = f.datetimeFormats?.length ? dateReader(f.datetimeFormats, 'datetime', f.timezone) : null;
  const steps = new Map<string, FieldStep>();
  for (const field of resource.fields) {
    const step = stepFor(field.type, { numbers, words, dates, datetimes, formats: f });
    if (step) steps.set(field.name, step);
  }
  if (steps.size === 0) return null;
  return {
    fields: new Set(steps.keys()),
    convert(record) {
      let out: Record<string, unknown> | null = null;
      let problems: ValueProblem[] | null = null;
      for (const [name, step] of steps) {
        const v = record[name];
        if (typeof v !== 'string' || v.trim() === '') continue;
        const read = step.read(v);
        if (read === null) (problems ??= []).push({ field: name, reason: `${JSON.stringify(v)} ${step.tried}` });
        else if (read !== v) (out ??= { ...record })[name] = read;
      }
      return problems ? { problems, record: out ?? record } : { record: out ?? record };
    },
    restore(record) {
      let out: Record<string, unknown> | null = null;
      for (const [name, step] of steps) {
        const v = record[name];
        if (typeof v === 'string' && v !== '') (out ??= { ...record })[name] = step.write(v);
        else if (typeof v === 'boolean') (out ??= { ...record })[name] = step.write(String(v));
      }
      return out ?? record;
    },
  };
}

function stepFor(
  type: string,
  c: {
    numbers: NumberStyle | null;
    words: BooleanWords | null;
    dates: DateReader | null;
    datetimes: DateReader | null;
    formats: ValueFormats;
  },
): FieldStep | null {
  const f = c.formats;
  const numberFlag = f.locale !== undefined ? `${FORMAT_FLAGS.locale} ${f.locale}` : FORMAT_FLAGS.decimalSeparator;
  if ((type === 'decimal' || type === 'integer') && c.numbers) {
    const style = c.numbers;
    const integer = type === 'integer';
    return {
      kind: integer ? 'integer' : 'number',
      read: (t) => parseLocaleNumber(t, style, integer),
      write: (v) => (/^-?\d+(\.\d+)?$/.test(v) ? v.replace('.', style.decimal) : v),
      tried: `is not ${integer ? 'a whole number' : 'a number'} as ${style.label} writes it (${numberFlag})`,
    };
  }
  if (type === 'boolean' && c.words) {
    const words = c.words;
    const yes = f.trueValues?.[0] ?? [...words.true][0] ?? 'true';
    const no = f.falseValues?.[0] ?? [...words.false][0] ?? 'false';
    const flag = f.trueValues || f.falseValues ? '--true-values/--false-values' : `${FORMAT_FLAGS.locale} ${f.locale}`;
    return {
      kind: 'boolean',
      read: (t) => {
        const w = words.lower(t.trim());
        return words.true.has(w) ? 'true' : words.false.has(w) ? 'false' : null;
      },
      write: (v) => (v === 'true' ? yes : v === 'false' ? no : v),
      tried: `is not one of ${words.label}, true, false (${flag})`,
    };
  }
  if (type === 'date' && c.dates) {
    const reader = c.dates;
    const out = toLuxonPattern((f.dateFormats as string[])[0] as string);
    return {
      kind: 'date',
      read: (t) => reader.read(t),
      write: (v) => {
        const d = DateTime.fromISO(v, { zone: 'UTC' });
        return d.isValid ? d.toFormat(out) : v;
      },
      tried: `is not a date in the format ${reader.label} (${FORMAT_FLAGS.dateFormats})`,
    };
  }
  if (type === 'datetime' && c.datetimes) {
    const reader = c.datetimes;
    const out = toLuxonPattern((f.datetimeFormats as string[])[0] as string);
    const zone = f.timezone ?? 'UTC';
    const zoneNote = f.timezone ? `, ${FORMAT_FLAGS.timezone} ${f.timezone}` : '';
    return {
      kind: 'datetime',
      read: (t) => reader.read(t),
      write: (v) => {
        const d = DateTime.fromISO(v, { setZone: true });
        return d.isValid ? d.setZone(zone).toFormat(out) : v;
      },
      tried: `is not a date and time in the format ${reader.label} (${FORMAT_FLAGS.datetimeFormats}${zoneNote})`,
    };
  }
  return null;
}

/** Several problems of one row as one reason: `a: …; b: …` (the first field leads). */
export function problemsReason(problems: ValueProblem[]): { field: string; reason: string } {
  const [first, ...rest] = problems as [ValueProblem, ...ValueProblem[]];
  return {
    field: first.field,
    reason: [first.reason, ...rest.map((p) => `${p.field}: ${p.reason}`)].join('; '),
  };
}
