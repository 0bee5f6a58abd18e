import { describe, expect, it } from 'vitest';
import type { ResourceDescription } from '../../src/protocol/index.js';
import { closestName } from '../../src/upload/plan/closest-name.js';
import { HeaderMismatchError, parseColumnMap, planColumns, type PlanInput } from '../../src/upload/plan/column-plan.js';
import { rowChecker } from '../../src/upload/plan/dry-run-check.js';

const TRANSACTIONS: ResourceDescription = {
  name: 'transactions',
  fields: [
    { name: 'account_id', type: 'integer', required: true },
    { name: 'amount', type: 'decimal', required: true, scale: 2 },
    { name: 'transaction_date', type: 'date', required: true },
    { name: 'description', type: 'text', required: false, max_length: 500 },
    { name: 'category', type: 'text', required: false, max_length: 100 },
  ],
  unique_keys: [['account_id', 'transaction_date', 'description']],
};

const input = (over: Partial<PlanInput>): PlanInput => ({
  file: 'x.csv',
  header: null,
  map: {},
  ignoreUnknown: false,
  resourceName: 'transactions',
  resource: TRANSACTIONS,
  delimiter: ',',
  ...over,
});
const refusal = (over: Partial<PlanInput>) => {
  try {
    planColumns(input(over));
  } catch (err) {
    if (err instanceof HeaderMismatchError) return err.message;
    throw err;
  }
  throw new Error('not refused');
};

describe('the header check', () => {
  it('one column holding another delimiter: names it and the flag to try', () => {
    const message = refusal({ header: ['account_id;amount;transaction_date'] });
    expect(message).toBe(
      "x.csv: the header does not fit resource transactions: none of its columns is a field of transactions (\"account_id;amount;transaction_date\") — the header has one column containing ';' — try --delimiter ';'",
    );
    expect(refusal({ header: ['account_id\tamount'] })).toContain('try --delimiter \\t');
  });

  it('a required field missing: names it, and a near column as what was meant', () => {
    expect(refusal({ header: ['account_id', 'amt', 'transaction_date'] })).toBe(
      'x.csv: the header does not fit resource transactions: column "amt" is not a field of transactions; required field amount is missing — did you mean amount for amt? (--map amt=amount)',
    );
  });

  it('some columns unknown: refused once, naming them, unless --ignore-unknown drops them (named once as a notice)', () => {
    const header = ['account_id', 'amount', 'transaction_date', 'memo_internal', 'branch'];
    expect(refusal({ header })).toContain(
      'columns "memo_internal", "branch" are not fields of transactions — --ignore-unknown leaves them out, --map renames them',
    );
    const { plan, notices } = planColumns(input({ header, ignoreUnknown: true }));
    expect(notices).toEqual(['x.csv: not sent (--ignore-unknown): memo_internal, branch, not fields of transactions']);
    expect(plan.sourceColumns).toEqual(['account_id', 'amount', 'transaction_date']);
    expect(
      plan.apply({ account_id: '1', amount: '2', transaction_date: 'd', memo_internal: 'm', branch: 'b' }),
    ).toEqual({ account_id: '1', amount: '2', transaction_date: 'd' });
  });

  it("--map renames both ways: sent under field names, written back under the file's, null as the file wrote it", () => {
    const { plan } = planColumns(
      input({
        header: ['acct', 'amt', 'transaction_date'],
        map: { acct: 'account_id', amt: 'amount' },
        nullValue: 'NULL',
      }),
    );
    const sent = plan.apply({ acct: '7', amt: null, transaction_date: '2024-01-01' });
    expect(sent).toEqual({ account_id: '7', amount: null, transaction_date: '2024-01-01' });
    expect(plan.restore(sent)).toEqual({ acct: '7', amt: 'NULL', transaction_date: '2024-01-01' });
    expect(plan.sourceColumns).toEqual(['acct', 'amt', 'transaction_date']);
  });

  it('two columns mapped onto one field are refused', () => {
    expect(refusal({ header: ['a', 'amount'], map: { a: 'amount' } })).toContain(
      'two columns become field "amount" (a, amount)',
    );
  });

  it('no description (a guide-only server): nothing checked, nothing dropped, and --ignore-unknown says so', () => {
    const { plan, notices } = planColumns(input({ header: ['whatever'], resource: null, ignoreUnknown: true }));
    expect(plan.apply({ whatever: 1 })).toEqual({ whatever: 1 });
    expect(notices[0]).toMatch(/does not describe resource "transactions"/);
  });

  it('JSON records (no header): keys renamed by --map, and with --ignore-unknown keys the resource lacks left out', () => {
    const { plan } = planColumns(input({ map: { amt: 'amount' }, ignoreUnknown: true }));
    expect(plan.apply({ account_id: 1, amt: '2.00', junk: true })).toEqual({ account_id: 1, amount: '2.00' });
    expect(plan.sourceColumns).toBeNull();
  });

  it('without renames a row goes through as it is, with no copy', () => {
    const record = { account_id: '1', amount: '2', transaction_date: 'd' };
    expect(planColumns(input({ header: Object.keys(record) })).plan.apply(record)).toBe(record);
  });
});

describe('what a column most likely meant', () => {
  it.each([
    ['amt', 'amount'],
    ['acct', 'account_id'],
    ['Amount', 'amount'],
    ['transaction date', 'transaction_date'],
    ['amonut', 'amount'],
    ['desc', 'description'],
    ['zzz', null],
  ])('%s → %s', (name, expected) => {
    expect(
      closestName(
        name,
        TRANSACTIONS.fields.map((f) => f.name),
      ),
    ).toBe(expected);
  });
});

describe('--map and the dry-run check', () => {
  it('parses pairs and refuses what is not one', () => {
    expect(parseColumnMap('amt=amount, acct = account_id')).toEqual({ amt: 'amount', acct: 'account_id' });
    expect(() => parseColumnMap('amt')).toThrow(/not source=field/);
    expect(() => parseColumnMap('a=b,a=c')).toThrow(/mapped twice/);
  });

  it('checks a row as the server would', () => {
    const check = rowChecker(TRANSACTIONS);
    expect(check({ account_id: '1', amount: '1.00', transaction_date: '2024-01-01' })).toBeNull();
    expect(check({ account_id: '1', amount: '1.999', transaction_date: '2024-01-01' })).toMatchObject({
      field: 'amount',
      reason: 'has more than 2 digits after the decimal point',
    });
    expect(check({ account_id: '1', amount: '1', transaction_date: '2024-01-01', extra: 'x' })).toMatchObject({
      field: 'extra',
      reason: 'unknown field',
    });
    // Every refusal of the row at once, the first field leading.
    expect(check({ account_id: 'x', amount: '1.999', transaction_date: '2024-02-30' })).toEqual({
      field: 'account_id',
      reason:
        'must be a whole number; amount: has more than 2 digits after the decimal point; ' +
        'transaction_date: is not a real calendar date',
      refusals: [
        { field: 'account_id', error: 'must be a whole number' },
        { field: 'amount', error: 'has more than 2 digits after the decimal point' },
        { field: 'transaction_date', error: 'is not a real calendar date' },
      ],
    });
  });
});
