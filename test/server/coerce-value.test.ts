import { describe, expect, it } from 'vitest';
import { coerceValue } from '../../src/resources/coerce-value.js';
import type { FieldDef, FieldType } from '../../src/resources/resource-types.js';
import { validateRecord } from '../../src/resources/validate-record.js';
import { loadResources } from '../../src/server/resources/load-resources.js';

const field = (type: FieldType, extra: Partial<FieldDef> = {}): FieldDef => ({
  name: 'f',
  type,
  required: false,
  ...extra,
});

/** [input, stored value] for what fits; [input, error] for what does not. */
const TABLE: Record<FieldType, { ok: [unknown, unknown][]; bad: [unknown, string][]; extra?: Partial<FieldDef> }> = {
  text: {
    extra: { maxLength: 8 },
    ok: [
      ['abc', 'abc'],
      [' padded', ' padded'],
      [12, '12'],
      [true, 'true'],
      ['=SUM(A1)', '=SUM(A1)'],
      ['éééééééé', 'éééééééé'],
      ['😀😀😀😀😀😀😀😀', '😀😀😀😀😀😀😀😀'],
    ],
    bad: [
      ['too long!', 'is longer than 8 characters'],
      [{ a: 1 }, 'must be text'],
      [[1], 'must be text'],
    ],
  },
  integer: {
    ok: [
      ['42', 42],
      [' -7 ', -7],
      ['+3', 3],
      [42, 42],
      ['007', 7],
      [String(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER],
    ],
    bad: [
      ['4.2', 'must be a whole number'],
      [4.5, 'must be a whole number'],
      ['1e3', 'must be a whole number'],
      ['abc', 'must be a whole number'],
      ['9007199254740993', 'is too large for a whole number'],
      [2 ** 60, 'must be a whole number'],
      [true, 'must be a whole number'],
    ],
  },
  decimal: {
    extra: { scale: 2 },
    ok: [
      ['150.00', '150.00'],
      ['1.5', '1.50'],
      ['7', '7.00'],
      [' -0.05 ', '-0.05'],
      ['+2.10', '2.10'],
      [0.1, '0.10'],
      [12, '12.00'],
      ['-0.00', '0.00'],
      ['123456789012345678901234.99', '123456789012345678901234.99'],
    ],
    bad: [
      ['1.234', 'has more than 2 digits after the decimal point'],
      ['abc', 'must be a decimal number'],
      ['1e5', 'must be a decimal number'],
      ['1,000.00', 'must be a decimal number'],
      ['.5', 'must be a decimal number'],
      [1e21, 'must be a decimal number'],
      [Number('1234567890123456.7'), 'has more than 15 significant digits: send it as a string'],
      [true, 'must be a decimal number'],
    ],
  },
  boolean: {
    ok: [
      [true, 1],
      [false, 0],
      ['true', 1],
      ['FALSE', 0],
      ['yes', 1],
      ['n', 0],
      ['1', 1],
      ['0', 0],
    ],
    bad: [
      ['maybe', 'must be true or false'],
      ['2', 'must be true or false'],
    ],
  },
  date: {
    ok: [
      ['2024-01-15', '2024-01-15'],
      [' 2024-02-29 ', '2024-02-29'],
      ['2000-02-29', '2000-02-29'],
    ],
    bad: [
      ['2024-02-30', 'is not a real calendar date'],
      ['2023-02-29', 'is not a real calendar date'],
      ['1900-02-29', 'is not a real calendar date'],
      ['2024-13-01', 'is not a real calendar date'],
      ['15/01/2024', 'must be a date (YYYY-MM-DD)'],
      ['2024-1-5', 'must be a date (YYYY-MM-DD)'],
      [20240115, 'must be a date (YYYY-MM-DD)'],
    ],
  },
  datetime: {
    ok: [
      ['2024-01-15T10:30:00Z', '2024-01-15T10:30:00.000Z'],
      ['2024-01-15 10:30', '2024-01-15T10:30:00.000Z'],
      ['2024-01-15T12:30:00+02:00', '2024-01-15T10:30:00.000Z'],
      ['2024-01-15T10:30:00.123Z', '2024-01-15T10:30:00.123Z'],
    ],
    bad: [
      ['2024-01-15T25:00:00Z', 'must be a date and time (ISO 8601, e.g. 2024-01-15T10:30:00Z)'],
      ['2024-02-30T10:00:00Z', 'must be a date and time (ISO 8601, e.g. 2024-01-15T10:30:00Z)'],
      ['yesterday', 'must be a date and time (ISO 8601, e.g. 2024-01-15T10:30:00Z)'],
    ],
  },
};

describe('coerceValue, type by type', () => {
  for (const [type, rows] of Object.entries(TABLE) as [FieldType, (typeof TABLE)[FieldType]][]) {
    it.each(rows.ok)(`${type}: %j is stored as %j`, (input, stored) => {
      expect(coerceValue(field(type, rows.extra), input)).toEqual({ ok: true, value: stored });
    });
    it.each(rows.bad)(`${type}: %j is refused: %s`, (input, error) => {
      expect(coerceValue(field(type, rows.extra), input)).toEqual({ ok: false, error });
    });
  }

  it('"" and null are missing: null when optional, "is required" when required', () => {
    for (const type of Object.keys(TABLE) as FieldType[]) {
      for (const missing of ['', null, undefined]) {
        expect(coerceValue(field(type), missing)).toEqual({ ok: true, value: null });
        expect(coerceValue(field(type, { required: true }), missing)).toEqual({ ok: false, error: 'is required' });
      }
    }
  });
});

describe('validateRecord against the built-in transactions resource', () => {
  const def = loadResources().get('transactions')!;
  const names = new Set(def.fields.map((f) => f.name));
  const good = {
    account_id: '12',
    amount: '10.5',
    transaction_date: '2024-01-15',
    description: 'coffee',
    category: '',
  };

  it('turns a CSV-style record of strings into one SQL value per field, in field order', () => {
    expect(validateRecord(def, names, good)).toEqual({ ok: true, values: [12, '10.50', '2024-01-15', 'coffee', null] });
  });

  it.each([
    [{ ...good, amount: 'ten' }, 'amount', 'must be a decimal number'],
    [{ ...good, account_id: '' }, 'account_id', 'is required'],
    [{ ...good, transaction_date: '2024-02-31' }, 'transaction_date', 'is not a real calendar date'],
    [{ ...good, description: 'x'.repeat(501) }, 'description', 'is longer than 500 characters'],
    [{ ...good, category: 'c'.repeat(101) }, 'category', 'is longer than 100 characters'],
    [{ ...good, colour: 'red' }, 'colour', 'unknown field'],
  ])('%j fails naming %s', (record, name, error) => {
    expect(validateRecord(def, names, record)).toEqual({ ok: false, field: name, error });
  });

  it('a value that is not an object fails without a field', () => {
    expect(validateRecord(def, names, [1, 2])).toEqual({ ok: false, error: 'must be a JSON object' });
  });
});

describe('fast paths give what the general path gives', () => {
  // The worker takes canonical decimals and plain integers as they are written; anything else goes
  // through the general parser. Both must agree on every input.
  const general = (type: 'decimal' | 'integer', raw: string) => coerceValue(field(type), ` ${raw}`);
  const samples: string[] = [
    '0',
    '-0',
    '-0.00',
    '0.00',
    '-0.01',
    '1.50',
    '01.50',
    '+1.50',
    '-4945.29',
    '10.999',
    '1.5',
    '12',
    '-12',
    '007',
    '999999999999999',
    '1000000000000000',
    '-999999999999999.99',
    '12345678901234567890.12',
  ];
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < 400; i++) {
    const sign = ['', '-', '+'][Math.floor(rand() * 3)] as string;
    const whole = String(Math.floor(rand() * 10 ** Math.floor(rand() * 17))).padStart(Math.floor(rand() * 3) + 1, '0');
    const frac = rand() < 0.8 ? `.${String(Math.floor(rand() * 1000)).slice(0, Math.floor(rand() * 4))}` : '';
    samples.push(`${sign}${whole}${frac === '.' ? '' : frac}`);
  }
  it.each(['decimal', 'integer'] as const)('%s', (type) => {
    for (const raw of samples) expect(coerceValue(field(type), raw), raw).toEqual(general(type, raw));
  });
});
