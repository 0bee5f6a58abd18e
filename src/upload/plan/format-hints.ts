/**
 * When most of a column fails in a way a format flag would fix, says which flag: counts, per
 * typed field, the values the server would refuse that look like a known format
 * (`amount: 1000 of 1000 look like decimal commas: try --locale de-DE`).
 */
import type { ResourceDescription } from '../../protocol/index.js';
import { languagesWith, SERVER_FALSE, SERVER_TRUE } from './boolean-words.js';

const CANONICAL: Record<string, RegExp> = {
  decimal: /^\s*[+-]?\d*\.?\d+\s*$/,
  integer: /^\s*[+-]?\d+\s*$/,
  date: /^\s*\d{4}-\d{2}-\d{2}\s*$/,
  datetime: /^\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/,
};
const SERVER_WORDS = new Set([...SERVER_TRUE, ...SERVER_FALSE]);
const LOCALE_OF: Record<string, string> = {
  de: 'de-DE',
  fr: 'fr-FR',
  es: 'es-ES',
  it: 'it-IT',
  pt: 'pt-PT',
  nl: 'nl-NL',
  sv: 'sv-SE',
  da: 'da-DK',
  nb: 'nb-NO',
  fi: 'fi-FI',
  pl: 'pl-PL',
  cs: 'cs-CZ',
};

/** What a value looks like, as `look like …: try …`; null when nothing a flag does would help. */
function lookAlike(type: string, raw: string): string | null {
  const v = raw.trim();
  if (type === 'decimal' || type === 'integer') {
    if (/^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$/.test(v) || /^[+-]?\d+,\d+$/.test(v))
      return 'decimal commas: try --locale de-DE (or the locale the file comes from)';
    if (/^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(v)) return 'thousands separators: try --locale en-US';
    return null;
  }
  if (type === 'date' || type === 'datetime') {
    const flag = type === 'date' ? '--date-format' : '--datetime-format';
    const time = type === 'datetime' ? ' HH:mm' : '';
    const m = /^(\d{1,2})([./-])(\d{1,2})\2(\d{4})/.exec(v);
    if (!m) return null;
    const [, a, sep] = m as unknown as [string, string, string];
    const dayFirst = sep === '.' || Number(a) > 12;
    return dayFirst
      ? `day-first dates: try ${flag} "DD${sep}MM${sep}YYYY${time}"`
      : `month-first dates: try ${flag} "MM${sep}DD${sep}YYYY${time}"`;
  }
  if (type === 'boolean') {
    const langs = languagesWith(v);
    if (langs.length === 0) return null;
    const locale = LOCALE_OF[langs[0] as string] ?? langs[0];
    return `yes/no words of another language: try --locale ${locale} (or --true-values/--false-values)`;
  }
  return null;
}

export class FormatHints {
  private readonly types = new Map<string, string>();
  private readonly seen = new Map<string, number>();
  private readonly looks = new Map<string, Map<string, number>>();

  /** `converted`: the fields a format flag already reads; a value failing there needs fixing, not a flag. */
  constructor(resource: ResourceDescription, converted: ReadonlySet<string> = new Set()) {
    for (const f of resource.fields) {
      if (converted.has(f.name)) continue;
      if (f.type in CANONICAL || f.type === 'boolean') this.types.set(f.name, f.type);
    }
  }

  /** One row as read, and as it goes out (converted, when a conversion read it). */
  observe(record: Record<string, unknown>, sent: Record<string, unknown> = record): void {
    for (const [name, type] of this.types) {
      const v = record[name];
      if (typeof v !== 'string' || v.trim() === '') continue;
      this.seen.set(name, (this.seen.get(name) ?? 0) + 1);
      const out = String(sent[name]);
      if (type === 'boolean' ? SERVER_WORDS.has(out.trim().toLowerCase()) : CANONICAL[type]?.test(out)) continue;
      const look = lookAlike(type, v);
      if (!look) continue;
      let counts = this.looks.get(name);
      if (!counts) this.looks.set(name, (counts = new Map()));
      counts.set(look, (counts.get(look) ?? 0) + 1);
    }
  }

  /** One line per field where most values look like one format. */
  messages(file: string): string[] {
    const out: string[] = [];
    for (const [name, counts] of this.looks) {
      const seen = this.seen.get(name) ?? 0;
      const [look, n] = [...counts].sort((a, b) => b[1] - a[1])[0] as [string, number];
      if (n * 2 > seen) out.push(`${file}: ${name}: ${n} of ${seen} look like ${look}`);
    }
    return out;
  }
}
