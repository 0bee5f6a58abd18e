// Values in their own formats: locale numbers, date patterns, yes/no words, the conversion step
// (every problem of a row at once, restore back into the file's formats) and the column hints.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveRunPlan } from '../../src/upload/plan/resolve-run-plan.js';
import { booleanWords } from '../../src/upload/plan/boolean-words.js';
import { dateReader, toLuxonPattern } from '../../src/upload/plan/date-patterns.js';
import { FormatHints } from '../../src/upload/plan/format-hints.js';
import { numberStyle, parseLocaleNumber } from '../../src/upload/plan/locale-numbers.js';
import { planConversion } from '../../src/upload/plan/value-converter.js';
import { convertsAnything, mergeFormats } from '../../src/upload/plan/value-formats.js';
import { profileFormats } from '../../src/config/profile-formats.js';
import { parseConfigFile, resolveConfig } from '../../src/config/resolve-config.js';
import type { ResourceDescription } from '../../src/protocol/index.js';

const KUNDEN: ResourceDescription = {
  name: 'kunden',
  fields: [
    { name: 'nr', type: 'integer', required: true },
    { name: 'umsatz', type: 'decimal', required: true, scale: 2 },
    { name: 'seit', type: 'date', required: true },
    { name: 'zuletzt', type: 'datetime', required: false },
    { name: 'newsletter', type: 'boolean', required: false },
    { name: 'name', type: 'text', required: false },
  ],
  unique_keys: [['nr']],
};

describe('numbers as a locale writes them', () => {
  const de = numberStyle('de-DE') as NonNullable<ReturnType<typeof numberStyle>>;
  it('reads de-DE, fr-FR, de-CH and en-US exactly, grouping only in threes', () => {
    expect(parseLocaleNumber('1.234,56', de, false)).toBe('1234.56');
    expect(parseLocaleNumber('-12.345.678,90', de, false)).toBe('-12345678.90');
    expect(parseLocaleNumber('0,01', de, false)).toBe('0.01');
    expect(parseLocaleNumber('1234', de, true)).toBe('1234');
    expect(parseLocaleNumber('1.234', de, true)).toBe('1234');
    for (const bad of ['1.5', '12.34,5', '1,2,3', '1.234.5', 'abc', '', ',5', '1,'])
      expect(parseLocaleNumber(bad, de, false), bad).toBeNull();
    expect(parseLocaleNumber('1,5', de, true)).toBeNull();
    const fr = numberStyle('fr-FR') as NonNullable<ReturnType<typeof numberStyle>>;
    expect(parseLocaleNumber('1 234,56', fr, false)).toBe('1234.56');
    expect(parseLocaleNumber('1\u202f234,56', fr, false)).toBe('1234.56');
    const ch = numberStyle('de-CH') as NonNullable<ReturnType<typeof numberStyle>>;
    expect(parseLocaleNumber("1'234.56", ch, false)).toBe('1234.56');
    const en = numberStyle('en-US') as NonNullable<ReturnType<typeof numberStyle>>;
    expect(parseLocaleNumber('1,234.56', en, false)).toBe('1234.56');
    const comma = numberStyle(undefined, ',') as NonNullable<ReturnType<typeof numberStyle>>;
    expect(parseLocaleNumber('1234,5', comma, false)).toBe('1234.5');
    expect(parseLocaleNumber('1.234,5', comma, false)).toBeNull();
  });
  it('any decimal written the de-DE way reads back to its canonical text', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.integer({ min: 0, max: 4 }), (n, scale) => {
        const abs = (n < 0n ? -n : n).toString().padStart(scale + 1, '0');
        const whole = abs.slice(0, abs.length - scale);
        const frac = abs.slice(abs.length - scale);
        const canonical = `${n < 0n ? '-' : ''}${whole}${scale ? `.${frac}` : ''}`;
        const grouped = whole.replace(/\B(?=(\d{3})+$)/g, '.');
        const written = `${n < 0n ? '-' : ''}${grouped}${scale ? `,${frac}` : ''}`;
        expect(parseLocaleNumber(written, de, false)).toBe(canonical);
      }),
      { numRuns: 200 },
    );
  });
});

describe('dates by pattern', () => {
  it('translates spreadsheet tokens to luxon and quotes other letters', () => {
    expect(toLuxonPattern('DD.MM.YYYY')).toBe('dd.MM.yyyy');
    expect(toLuxonPattern('YYYY-MM-DDTHH:mm:ssZ')).toBe("yyyy-MM-dd'T'HH:mm:ssZZ");
  });
  it('reads strictly, tries patterns in order, and takes ISO text as it is', () => {
    const r = dateReader(['DD.MM.YYYY', 'MM/DD/YYYY'], 'date');
    expect(r.read('13.11.2022')).toBe('2022-11-13');
    expect(r.read('11/13/2022')).toBe('2022-11-13');
    expect(r.read('2022-11-13')).toBe('2022-11-13');
    for (const bad of ['31.02.2022', '1.2.2022', '13.13.2022', '13/11/2022', '13.11.22'])
      expect(r.read(bad), bad).toBeNull();
  });
  it('reads datetimes without an offset in --timezone, across a DST change', () => {
    const r = dateReader(['DD.MM.YYYY HH:mm'], 'datetime', 'Europe/Berlin');
    expect(r.read('13.11.2022 14:05')).toBe('2022-11-13T13:05:00Z');
    expect(r.read('01.07.2022 00:00')).toBe('2022-06-30T22:00:00Z');
    expect(r.read('13.11.2022 25:05')).toBeNull();
  });
});

describe('yes/no words', () => {
  it("takes the language's words and the server's, case-insensitively; given words replace the language's", () => {
    const de = booleanWords('de-DE') as NonNullable<ReturnType<typeof booleanWords>>;
    for (const w of ['ja', 'WAHR', 'Wahr', 'true', '1']) expect(de.true.has(de.lower(w)), w).toBe(true);
    for (const w of ['nein', 'FALSCH', 'false', '0']) expect(de.false.has(de.lower(w)), w).toBe(true);
    const own = booleanWords('de-DE', ['x'], ['o']) as NonNullable<ReturnType<typeof booleanWords>>;
    expect(own.true.has('ja')).toBe(false);
    expect(own.true.has('x')).toBe(true);
    expect(booleanWords()).toBeNull();
  });
});

describe('the conversion step', () => {
  const convert = planConversion(
    { locale: 'de-DE', dateFormats: ['DD.MM.YYYY'], datetimeFormats: ['DD.MM.YYYY HH:mm'], timezone: 'Europe/Berlin' },
    KUNDEN,
  );
  it('converts nothing without formats (a predicate other steps can use)', () => {
    expect(convertsAnything(undefined)).toBe(false);
    expect(convertsAnything({ timezone: 'UTC' })).toBe(false);
    expect(planConversion(undefined, KUNDEN)).toBeNull();
    expect(planConversion({ locale: 'de-DE' }, null)).toBeNull();
  });
  it('converts a row by its field types and leaves text alone', () => {
    expect(
      convert?.convert({
        nr: '1.234',
        umsatz: '1.234,56',
        seit: '13.11.2022',
        zuletzt: '13.11.2022 14:05',
        newsletter: 'WAHR',
        name: '1.234,56',
      }),
    ).toEqual({
      record: {
        nr: '1234',
        umsatz: '1234.56',
        seit: '2022-11-13',
        zuletzt: '2022-11-13T13:05:00Z',
        newsletter: 'true',
        name: '1.234,56',
      },
    });
  });
  it('names every value a row could not convert, its field and the format tried', () => {
    const out = convert?.convert({ nr: '1', umsatz: '12.34,5', seit: '31.02.2022', newsletter: 'vielleicht' });
    expect(out).toMatchObject({
      problems: [
        { field: 'umsatz', reason: '"12.34,5" is not a number as de-DE (1.234,56) writes it (--locale de-DE)' },
        { field: 'seit', reason: '"31.02.2022" is not a date in the format DD.MM.YYYY (--date-format)' },
        {
          field: 'newsletter',
          reason: '"vielleicht" is not one of ja, wahr, j, nein, falsch, n, true, false (--locale de-DE)',
        },
      ],
    });
  });
  it('restores a converted record into values the same flags read back the same', () => {
    const row = { nr: '7', umsatz: '-1.234,50', seit: '29.02.2020', zuletzt: '27.03.2022 03:30', newsletter: 'nein' };
    const sent = convert?.convert(row) as { record: Record<string, unknown> };
    const back = convert?.restore(sent.record) as Record<string, unknown>;
    expect(back).toEqual({
      nr: '7',
      umsatz: '-1234,50',
      seit: '29.02.2020',
      zuletzt: '27.03.2022 03:30',
      newsletter: 'nein',
    });
    expect(convert?.convert(back)).toEqual(sent);
  });
});

describe('hints for a column that fails in a way a format would fix', () => {
  it('names the flag when most of a column looks like one format', () => {
    const hints = new FormatHints(KUNDEN);
    for (let i = 0; i < 10; i++) hints.observe({ umsatz: '1.234,56', seit: '13.11.2022', newsletter: 'ja', nr: '1' });
    hints.observe({ umsatz: '12.50', seit: '2022-11-13', newsletter: 'true', nr: '2' });
    expect(hints.messages('k.csv')).toEqual([
      'k.csv: umsatz: 10 of 11 look like decimal commas: try --locale de-DE (or the locale the file comes from)',
      'k.csv: seit: 10 of 11 look like day-first dates: try --date-format "DD.MM.YYYY"',
      'k.csv: newsletter: 10 of 11 look like yes/no words of another language: try --locale de-DE (or --true-values/--false-values)',
    ]);
  });
  it('says nothing when the conversion read the values, or when few look that way', () => {
    const hints = new FormatHints(KUNDEN);
    hints.observe({ umsatz: '1.234,56' }, { umsatz: '1234.56' });
    hints.observe({ umsatz: '1,5' });
    hints.observe({ umsatz: '2.5' });
    hints.observe({ umsatz: '3' });
    expect(hints.messages('k.csv')).toEqual([]);
  });
  it('never suggests a flag already given: rows failing on another field, or on a value the format cannot read', () => {
    const convert = planConversion({ locale: 'de-DE', dateFormats: ['DD.MM.YYYY'] }, KUNDEN);
    const hints = new FormatHints(KUNDEN, convert?.fields);
    for (let i = 0; i < 10; i++) {
      const record = { umsatz: '1.234,56', seit: '31.02.2022', newsletter: 'vielleicht', nr: '1' };
      hints.observe(record, convert?.convert(record).record);
    }
    expect(hints.messages('k.csv')).toEqual([]);
  });
});

describe('settings from flags and profiles', () => {
  it('lays flags over a profile key by key and refuses what cannot work', () => {
    expect(mergeFormats({ locale: 'de-DE' }, { locale: 'fr-FR', dateFormats: ['DD/MM/YYYY'] })).toEqual({
      locale: 'de-DE',
      dateFormats: ['DD/MM/YYYY'],
    });
    expect(mergeFormats({})).toBeUndefined();
    expect(() => mergeFormats({ timezone: 'Mars/Olympus' })).toThrow(/not an IANA time zone/);
    expect(() => mergeFormats({ locale: 'xx-!!' })).toThrow(/--locale/);
    expect(() => mergeFormats({ trueValues: ['ja'], falseValues: ['JA'] })).toThrow(/both hold ja/);
  });
  it('a config file profile carries them to the resolved config', () => {
    const file = parseConfigFile({ profiles: { de: { locale: 'de-DE', date_format: ['DD.MM.YYYY'] } } }, 'cfg');
    const resolved = resolveConfig({ flags: { profile: 'de' }, env: {}, file, readToken: () => '' });
    expect(resolved.settings.formats).toEqual({ locale: 'de-DE', dateFormats: ['DD.MM.YYYY'] });
    // The plan lays the format flags over them key by key.
    expect(resolveRunPlan({ files: ['a.csv'], timezone: 'Europe/Berlin' }, resolved, {}).formats).toEqual({
      locale: 'de-DE',
      dateFormats: ['DD.MM.YYYY'],
      timezone: 'Europe/Berlin',
    });
    expect(() => parseConfigFile({ profiles: { x: { locale: 'de-DE', tz: 'UTC' } } }, 'cfg')).toThrow(
      /unknown setting "tz"/,
    );
  });
  it("reads a profile's keys, a list as a string or an array", () => {
    expect(profileFormats({ locale: 'de-DE', date_format: 'DD.MM.YYYY', true_values: ['ja', 'x'] }, 'p')).toEqual({
      locale: 'de-DE',
      dateFormats: ['DD.MM.YYYY'],
      trueValues: ['ja', 'x'],
    });
    expect(() => profileFormats({ timezone: 3 }, 'cfg: profile "p"')).toThrow(
      /cfg: profile "p": timezone must be a string/,
    );
  });
});
