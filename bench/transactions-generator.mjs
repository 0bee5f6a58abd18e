// Deterministic transaction files for the bench, the tests and the fixtures: the same seed always
// gives the same bytes, and which rows are invalid is known without reading the file back.
// Plain JavaScript so `node bench/…` runs it without a build; types in transactions-generator.d.mts.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** mulberry32: a tiny seeded PRNG, so the same seed always gives the same file. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CATEGORIES = ['groceries', 'rent', 'travel', 'utilities', 'salary', 'dining', 'health'];
const PAYEES = ['Acme, Inc.', 'Globex "Intl"', 'Initech', 'Umbrella Corp', 'Stark & Sons', 'Wayne, LLC'];
/** The ways a generated row is made invalid, each one the server rejects. */
export const INVALID_KINDS = [
  'bad-amount',
  'missing-account',
  'impossible-date',
  'three-decimals',
  'non-integer-account',
  'missing-amount',
];

/**
 * Whether row i (0-based) is one of the invalid ones: a pure function of (i, seed, share), so a
 * test knows which rows the server will reject without reading the file back.
 */
export function isInvalidRow(i, seed, share) {
  if (share <= 0) return false;
  return prng((seed * 2654435761 + i) >>> 0)() < share;
}

/** The unique description of row i: with the account and date it is the resource's unique key. */
export function descriptionOf(i) {
  return `Invoice ${String(i).padStart(7, '0')} for ${PAYEES[i % PAYEES.length]}`;
}

/** Rows per calendar day: files are in date order, as transaction exports are. */
const ROWS_PER_DAY = 2000;
const EPOCH = Date.UTC(2020, 0, 1);

export function transactionRow(i, seed, share) {
  const rand = prng((seed ^ (i * 2246822519)) >>> 0);
  const date = new Date(EPOCH + Math.floor(i / ROWS_PER_DAY) * 86_400_000).toISOString().slice(0, 10);
  const row = {
    account_id: String(1000 + Math.floor(rand() * 9000)),
    amount: (Math.floor(rand() * 2_000_000) / 100 - 5000).toFixed(2),
    transaction_date: date,
    description: descriptionOf(i),
    category: CATEGORIES[Math.floor(rand() * CATEGORIES.length)],
  };
  if (isInvalidRow(i, seed, share)) makeInvalid(row, INVALID_KINDS[i % INVALID_KINDS.length]);
  return row;
}

/** Breaks one field of a row the way `kind` says; the unique key fields other than it stay. */
export function makeInvalid(row, kind) {
  if (kind === 'bad-amount') row.amount = '12.3.4';
  else if (kind === 'missing-account') row.account_id = '';
  else if (kind === 'impossible-date') row.transaction_date = '2024-02-30';
  else if (kind === 'three-decimals') row.amount = '10.999';
  else if (kind === 'non-integer-account') row.account_id = '12a';
  else row.amount = '';
  return row;
}

const COLUMNS = ['account_id', 'amount', 'transaction_date', 'description', 'category'];

function csvCell(v) {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function formatRow(row, format) {
  if (format === 'csv') return COLUMNS.map((c) => csvCell(row[c])).join(',');
  // JSON inputs carry numbers as numbers where they are valid, as a JSON producer would.
  const obj = { ...row };
  if (/^\d+$/.test(row.account_id)) obj.account_id = Number(row.account_id);
  if (row.account_id === '') delete obj.account_id;
  if (row.amount === '') delete obj.amount;
  return JSON.stringify(obj);
}

/** Streams N rows to a file with backpressure: a 5M-row file is never held in memory. */
export async function generateTransactions(opts) {
  const seed = opts.seed ?? 1;
  const share = opts.invalidShare ?? 0;
  const out = typeof opts.out === 'string' ? createWriteStream(opts.out) : opts.out;
  let buffer = opts.format === 'csv' ? `${COLUMNS.join(',')}\n` : opts.format === 'json' ? '[\n' : '';
  let invalid = 0;
  for (let i = 0; i < opts.rows; i++) {
    if (isInvalidRow(i, seed, share)) invalid++;
    const text = formatRow(transactionRow(i, seed, share), opts.format);
    buffer += opts.format === 'json' ? `  ${text}${i < opts.rows - 1 ? ',' : ''}\n` : `${text}\n`;
    if (buffer.length > 1 << 16) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  if (opts.format === 'json') buffer += ']\n';
  out.end(buffer);
  await once(out, 'finish');
  return { rows: opts.rows, invalid };
}
