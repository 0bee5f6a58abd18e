import { describe, expect, it } from 'vitest';
import { AggregateAccumulator, type AggregateState } from '../../src/server/resources/aggregates.js';
import {
  addDecimal,
  compareDecimal,
  divideDecimal,
  formatDecimal,
  parseDecimal,
  rescale,
} from '../../src/protocol/decimal.js';
import { loadResources, parseResources } from '../../src/server/resources/load-resources.js';
import type { SqlValue } from '../../src/resources/resource-types.js';

const d = (text: string) => parseDecimal(text)!;

describe('exact decimals', () => {
  it('parses and formats without binary floating point', () => {
    expect(formatDecimal(addDecimal(d('0.10'), d('0.20')))).toBe('0.30');
    expect(formatDecimal(addDecimal(d('-0.05'), d('0.05')))).toBe('0.00');
    expect(formatDecimal(d('007.50'))).toBe('7.50');
    expect(formatDecimal(rescale(d('1.5'), 2))).toBe('1.50');
    expect(parseDecimal('1e5')).toBeNull();
    expect(parseDecimal('1.')).toBeNull();
  });

  it('adds past 2^53 units exactly', () => {
    const big = d('90071992547409.92'); // 2^53 cents
    expect(formatDecimal(addDecimal(big, d('0.01')))).toBe('90071992547409.93');
    expect(formatDecimal(addDecimal(big, big))).toBe('180143985094819.84');
  });

  it('divides rounding half to even', () => {
    expect(formatDecimal(divideDecimal(d('0.25'), 2n, 2))).toBe('0.12');
    expect(formatDecimal(divideDecimal(d('0.35'), 2n, 2))).toBe('0.18');
    expect(formatDecimal(divideDecimal(d('-0.25'), 2n, 2))).toBe('-0.12');
    expect(formatDecimal(divideDecimal(d('10'), 3n, 2))).toBe('3.33');
    expect(formatDecimal(divideDecimal(d('2.00'), 3n, 2))).toBe('0.67');
  });

  it('compares across scales', () => {
    expect(compareDecimal(d('1.5'), d('1.50'))).toBe(0);
    expect(compareDecimal(d('-2'), d('1.99'))).toBe(-1);
    expect(compareDecimal(d('100000000000000000000.01'), d('100000000000000000000'))).toBe(1);
  });
});

const resources = parseResources(
  {
    resources: {
      orders: {
        fields: {
          order_id: { type: 'integer', required: true },
          price: { type: 'decimal', scale: 2 },
          status: { type: 'text' },
          qty: { type: 'integer' },
        },
        aggregates: {
          orders: { fn: 'count' },
          priced: { fn: 'count', field: 'price' },
          revenue: { fn: 'sum', field: 'price' },
          avg_price: { fn: 'avg', field: 'price' },
          min_price: { fn: 'min', field: 'price' },
          max_price: { fn: 'max', field: 'price' },
          by_status: { fn: 'count_by', field: 'status' },
          units: { fn: 'sum', field: 'qty' },
          avg_qty: { fn: 'avg', field: 'qty' },
          processed: { fn: 'processed_count' },
          stored: { fn: 'success_count' },
          rejected: { fn: 'error_count' },
        },
      },
    },
  },
  'test',
);
const orders = resources.get('orders')!;

const ROWS: SqlValue[][] = [
  [1, '10.00', 'new', 3],
  [2, '0.10', 'paid', 1],
  [3, null, 'new', null],
  [4, '0.20', 'paid', 2],
  [5, '45035996273704.96', 'new', 1],
];

function run(rows: SqlValue[][], acc = new AggregateAccumulator(orders)): AggregateAccumulator {
  for (const r of rows) acc.addStored(r);
  acc.addProcessed(rows.length + 1, 1);
  return acc;
}

describe('AggregateAccumulator', () => {
  it('computes every kind of aggregate, decimals as exact JSON number literals', () => {
    const json = run(ROWS).resultsJson();
    expect(json).toBe(
      '{"orders":5,"priced":4,"revenue":45035996273715.26,"avg_price":11258999068428.82,"min_price":0.10,"max_price":45035996273704.96,' +
        '"by_status":{"new":3,"paid":2},"units":7,"avg_qty":1.75,"processed":6,"stored":5,"rejected":1}',
    );
    // Still valid JSON.
    expect(JSON.parse(json).by_status).toEqual({ new: 3, paid: 2 });
  });

  it('resumes from a committed state (through JSON, as the store keeps it) to the same result', () => {
    const first = run(ROWS.slice(0, 2));
    const saved = JSON.parse(JSON.stringify(first.snapshot())) as AggregateState;
    const resumed = run(ROWS.slice(2), new AggregateAccumulator(orders, saved));
    const once = new AggregateAccumulator(orders);
    for (const r of ROWS) once.addStored(r);
    once.addProcessed(ROWS.length + 2, 2);
    expect(resumed.resultsJson()).toBe(once.resultsJson());
  });

  it('sums a million cents exactly, and past 2^53 cents', () => {
    const acc = new AggregateAccumulator(orders);
    for (let i = 0; i < 1_000_000; i++) acc.addStored([i, '0.01', null, null]);
    for (let i = 0; i < 3; i++) acc.addStored([i, '45035996273704.96', null, null]);
    const results = acc.resultsJson();
    // 3 × 45035996273704.96 + 1,000,000 × 0.01
    expect(results).toContain('"revenue":135107988831114.88');
  });

  it('an empty job: zero sums, null averages and extremes', () => {
    const json = new AggregateAccumulator(orders).resultsJson();
    expect(JSON.parse(json)).toMatchObject({
      orders: 0,
      revenue: 0,
      avg_price: null,
      min_price: null,
      by_status: {},
      units: 0,
    });
    expect(json).toContain('"revenue":0.00');
  });

  it("the built-in transactions aggregates are the guide's, with its numbers", () => {
    const tx = loadResources().get('transactions')!;
    const acc = new AggregateAccumulator(tx);
    acc.addStored([1, '100.00', '2024-01-01', 'a', null]);
    acc.addStored([1, '200.00', '2024-01-02', 'b', null]);
    acc.addProcessed(3, 1);
    expect(acc.resultsJson()).toBe(
      '{"total_amount":300.00,"average_amount":150.00,"transaction_count":3,"successful_transactions":2,"failed_transactions":1}',
    );
  });
});
