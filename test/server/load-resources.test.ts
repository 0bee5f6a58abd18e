import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_RESOURCES } from '../../src/resources/builtin-resources.js';
import { loadResources, parseResources, ResourceConfigError } from '../../src/server/resources/load-resources.js';
import { indexColumns } from '../../src/server/store/sql-helpers.js';
import { tempDir } from '../helpers/temp.js';

const doc = (orders: unknown) => ({ resources: { orders } });
const fields = {
  order_id: { type: 'integer', required: true },
  price: { type: 'decimal', scale: 2 },
  status: { type: 'text', max_length: 20 },
};

describe('the resources file', () => {
  it('reads the documented example', () => {
    const defs = parseResources(
      doc({
        fields,
        unique: [['order_id']],
        aggregates: {
          order_count: { fn: 'count' },
          revenue: { fn: 'sum', field: 'price' },
          by_status: { fn: 'count_by', field: 'status' },
          min_price: { fn: 'min', field: 'price' },
          max_price: { fn: 'max', field: 'price' },
          avg_price: { fn: 'avg', field: 'price' },
        },
      }),
      'r.json',
    );
    const orders = defs.get('orders')!;
    expect(orders.fields).toEqual([
      { name: 'order_id', type: 'integer', required: true, maxLength: undefined, scale: undefined },
      { name: 'price', type: 'decimal', required: false, maxLength: undefined, scale: 2 },
      { name: 'status', type: 'text', required: false, maxLength: 20, scale: undefined },
    ]);
    expect(orders.uniqueKeys).toEqual([['order_id']]);
    expect(orders.aggregates.map((a) => a.fn)).toEqual(['count', 'sum', 'count_by', 'min', 'max', 'avg']);
  });

  it.each([
    [
      'a bad field type',
      doc({ fields: { price: { type: 'money' } } }),
      'r.json: resource "orders", field "price": type must be one of text, integer, decimal, boolean, date, datetime (got "money")',
    ],
    [
      'a field that is not an object',
      doc({ fields: { price: 'decimal' } }),
      'resource "orders", field "price": must be an object',
    ],
    [
      'an unknown field setting',
      doc({ fields: { price: { type: 'decimal', precision: 2 } } }),
      'resource "orders", field "price": unknown setting "precision"',
    ],
    [
      'a bad max_length',
      doc({ fields: { status: { type: 'text', max_length: 0 } } }),
      'resource "orders", field "status": max_length must be',
    ],
    [
      'a bad scale',
      doc({ fields: { price: { type: 'decimal', scale: 40 } } }),
      'resource "orders", field "price": scale must be',
    ],
    [
      'a field name that is not an identifier',
      doc({ fields: { 'Order Id': { type: 'integer' } } }),
      'resource "orders", field "Order Id": names are',
    ],
    [
      'a reserved field name',
      doc({ fields: { job_id: { type: 'integer' } } }),
      'resource "orders", field "job_id": this name is reserved',
    ],
    ['no fields', doc({ fields: {} }), 'resource "orders": has no fields'],
    [
      'a unique key naming no field',
      doc({ fields, unique: [['order_no']] }),
      'resource "orders", unique key (order_no): "order_no" is not a field',
    ],
    [
      'an aggregate without its field',
      doc({ fields, aggregates: { revenue: { fn: 'sum' } } }),
      'resource "orders", aggregate "revenue": needs "field"',
    ],
    [
      'a sum of text',
      doc({ fields, aggregates: { s: { fn: 'sum', field: 'status' } } }),
      'resource "orders", aggregate "s": sum needs an integer or decimal field; "status" is text',
    ],
    [
      'an unknown aggregate',
      doc({ fields, aggregates: { m: { fn: 'median', field: 'price' } } }),
      'resource "orders", aggregate "m": fn must be one of',
    ],
    [
      'a resource named like bulk tables',
      { resources: { bulk_jobs: { fields } } },
      'resource "bulk_jobs": names starting with bulk_ or sqlite_ are reserved',
    ],
    ['no resources object', { orders: { fields } }, 'r.json: top level: expected {"resources"'],
  ])('refuses %s, naming the resource and field', (_what, input, message) => {
    expect(() => parseResources(input, 'r.json')).toThrow(ResourceConfigError);
    expect(() => parseResources(input, 'r.json')).toThrow(message);
  });

  it('loads a file on top of the built-ins; a broken file is a ResourceConfigError naming it', () => {
    const dir = tempDir();
    const good = path.join(dir, 'good.json');
    writeFileSync(good, JSON.stringify(doc({ fields })));
    expect([...loadResources(good).keys()]).toEqual(['transactions', 'orders']);
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{"resources": ');
    expect(() => loadResources(broken)).toThrow(new RegExp(`^${broken}: `));
    expect(() => loadResources(path.join(dir, 'missing.json'))).toThrow(/missing\.json: no such file/);
  });

  it('defines the built-in transactions in the same format, with the key account_id,transaction_date,description', () => {
    const tx = parseResources(BUILTIN_RESOURCES, 'built-in').get('transactions')!;
    expect(tx.fields.map((f) => `${f.name}:${f.type}${f.required ? '!' : ''}`)).toEqual([
      'account_id:integer!',
      'amount:decimal!',
      'transaction_date:date!',
      'description:text',
      'category:text',
    ]);
    expect(tx.fields.find((f) => f.name === 'description')?.maxLength).toBe(500);
    expect(tx.fields.find((f) => f.name === 'category')?.maxLength).toBe(100);
    expect(tx.uniqueKeys).toEqual([['account_id', 'transaction_date', 'description']]);
    expect(tx.aggregates.map((a) => a.name)).toEqual([
      'total_amount',
      'average_amount',
      'transaction_count',
      'successful_transactions',
      'failed_transactions',
    ]);
    // The index behind the key leads with the date, for date-ordered inserts.
    expect(indexColumns(tx, tx.uniqueKeys[0]!)).toEqual(['transaction_date', 'account_id', 'description']);
  });
});
