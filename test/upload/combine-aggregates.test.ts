import { describe, expect, it } from 'vitest';
import { aggregateKind, combineAggregates } from '../../src/upload/aggregates/combine-aggregates.js';
import { divideDecimal, formatDecimal, parseDecimal, type Decimal } from '../../src/protocol/decimal.js';

const job = (aggregates: Record<string, unknown> | null, succeeded: number) => ({
  aggregates: aggregates as never,
  succeeded,
});

describe('aggregateKind', () => {
  it.each([
    ['total_amount', 'sum'],
    ['sum', 'sum'],
    ['sumAmount', 'sum'],
    ['amount_sum', 'sum'],
    ['average_amount', 'avg'],
    ['avgAmount', 'avg'],
    ['amount_avg', 'avg'],
    ['mean_latency', 'avg'],
    ['min_amount', 'min'],
    ['amount_min', 'min'],
    ['minimumAmount', 'min'],
    ['max_amount', 'max'],
    ['amount_max', 'max'],
    ['transaction_count', 'sum'],
    ['count', 'sum'],
    ['successful_transactions', 'sum'],
    ['failed_transactions', 'sum'],
    ['minutes_billed', 'sum'],
    ['summary_rows', 'sum'],
  ])('%s is %s', (name, kind) => expect(aggregateKind(name)).toBe(kind));
});

describe('combineAggregates', () => {
  it('adds decimals exactly, numbers in and numbers out', () => {
    const out = combineAggregates([job({ total_amount: 0.1 }, 1), job({ total_amount: 0.2 }, 1)]);
    expect(out.total_amount).toBe(0.3);
    expect(String(out.total_amount)).toBe('0.3');
  });

  it('adds decimal strings exactly and keeps the widest scale', () => {
    const out = combineAggregates([
      job({ total_amount: '150000.00' }, 1000),
      job({ total_amount: '0.005' }, 1),
      job({ total_amount: '-12.1' }, 1),
    ]);
    expect(out.total_amount).toBe('149987.905');
  });

  it('stays exact past what a double can hold', () => {
    const out = combineAggregates([job({ total_amount: '9007199254740993.01' }, 1), job({ total_amount: '0.02' }, 1)]);
    expect(out.total_amount).toBe('9007199254740993.03');
  });

  it('reads exponent notation', () => {
    expect(combineAggregates([job({ total: '1e21' }, 1), job({ total: '1' }, 1)]).total).toBe('1000000000000000000001');
    expect(combineAggregates([job({ total: 1e21 }, 1), job({ total: 1e21 }, 1)]).total).toBe(2e21);
    expect(combineAggregates([job({ total: 1e-7 }, 1), job({ total: 2e-7 }, 1)]).total).toBe(3e-7);
  });

  it('weights averages by stored rows', () => {
    const out = combineAggregates([job({ average_amount: '100.00' }, 3), job({ average_amount: '200.00' }, 1)]);
    expect(out.average_amount).toBe('125.00');
    const rounded = combineAggregates([job({ average_amount: '1.00' }, 2), job({ average_amount: '2.00' }, 1)]);
    expect(rounded.average_amount).toBe('1.33');
  });

  it('rounds a .5 tie half to even, as the server does (one rule for both sides)', () => {
    const server = (sum: string, n: number) => formatDecimal(divideDecimal(parseDecimal(sum) as Decimal, BigInt(n), 2));
    // Two jobs of one row each: the combined average is the sum over 2, a tie at the third decimal.
    const cases: [string, string, string][] = [
      ['0.25', '0.00', '0.12'],
      ['0.35', '0.00', '0.18'],
      ['-0.25', '0.00', '-0.12'],
      ['1.01', '1.00', '1.00'],
      ['1.03', '1.00', '1.02'],
    ];
    for (const [a, b, want] of cases) {
      const sum = formatDecimal({
        units: (parseDecimal(a) as Decimal).units + (parseDecimal(b) as Decimal).units,
        scale: 2,
      });
      const client = combineAggregates([job({ average_amount: a }, 1), job({ average_amount: b }, 1)]).average_amount;
      expect([client, server(sum, 2)]).toEqual([want, want]);
    }
  });

  it('gives number averages at least two decimals, whatever their inputs showed', () => {
    expect(combineAggregates([job({ avg_latency: 1 }, 2), job({ avg_latency: 2 }, 1)]).avg_latency).toBe(1.33);
    expect(combineAggregates([job({ average_amount: 150 }, 1), job({ average_amount: 151 }, 1)]).average_amount).toBe(
      150.5,
    );
    expect(combineAggregates([job({ mean_rate: 0.0012 }, 1), job({ mean_rate: 0.0013 }, 2)]).mean_rate).toBe(0.0013);
  });

  it('ignores a job that stored nothing when weighting, and falls back to equal weights when none did', () => {
    expect(combineAggregates([job({ average_amount: 10 }, 0), job({ average_amount: 20 }, 5)]).average_amount).toBe(20);
    expect(combineAggregates([job({ average_amount: 10 }, 0), job({ average_amount: 20 }, 0)]).average_amount).toBe(15);
  });

  it('keeps min and max, numeric and textual', () => {
    const out = combineAggregates([
      job({ min_amount: '-5.50', max_amount: '10', first_date_min: '2026-03-01', last_date_max: '2026-03-09' }, 1),
      job({ min_amount: '-5.5', max_amount: '99.99', first_date_min: '2026-01-15', last_date_max: '2026-02-01' }, 1),
    ]);
    expect(out).toEqual({
      min_amount: '-5.50',
      max_amount: '99.99',
      first_date_min: '2026-01-15',
      last_date_max: '2026-03-09',
    });
  });

  it('adds counts and merges count-by objects', () => {
    const out = combineAggregates([
      job(
        { transaction_count: 1000, successful_transactions: 995, failed_transactions: 5, by_status: { ok: 3, bad: 2 } },
        995,
      ),
      job(
        { transaction_count: 500, successful_transactions: 500, failed_transactions: 0, by_status: { ok: 4, late: 1 } },
        500,
      ),
    ]);
    expect(out).toEqual({
      transaction_count: 1500,
      successful_transactions: 1495,
      failed_transactions: 5,
      by_status: { ok: 7, bad: 2, late: 1 },
    });
  });

  it('skips jobs without aggregates and nulls, and keeps names in first-seen order', () => {
    const out = combineAggregates([job(null, 0), job({ b: null, a: 1 }, 1), job({ a: 2, c: 3 }, 1)]);
    expect(Object.keys(out)).toEqual(['b', 'a', 'c']);
    expect(out).toEqual({ b: null, a: 3, c: 3 });
  });

  it('returns null rather than a wrong value when values cannot be combined', () => {
    expect(combineAggregates([job({ x: { a: 1 } }, 1), job({ x: 2 }, 1)]).x).toBeNull();
    expect(combineAggregates([job({ region: 'north' }, 1), job({ region: 'south' }, 1)]).region).toBeNull();
    expect(combineAggregates([job({ region: 'north' }, 1), job({ region: 'north' }, 1)]).region).toBe('north');
  });

  it('returns strings when any input was a string', () => {
    expect(combineAggregates([job({ total: 1.5 }, 1), job({ total: '2.25' }, 1)]).total).toBe('3.75');
  });

  it('is empty for no jobs', () => {
    expect(combineAggregates([])).toEqual({});
  });
});
