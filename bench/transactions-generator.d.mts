// Types for transactions-generator.mjs, so the tests that generate their inputs are type-checked.
import type { Writable } from 'node:stream';

export interface TransactionRow {
  account_id: string;
  amount: string;
  transaction_date: string;
  description: string;
  category: string;
}

/** The ways a generated row is made invalid, each one the server rejects. */
export declare const INVALID_KINDS: readonly [
  'bad-amount',
  'missing-account',
  'impossible-date',
  'three-decimals',
  'non-integer-account',
  'missing-amount',
];
export type InvalidKind = (typeof INVALID_KINDS)[number];

/** mulberry32: a tiny seeded PRNG, so the same seed always gives the same file. */
export declare function prng(seed: number): () => number;
/** Whether row i (0-based) is one of the invalid ones: a pure function of (i, seed, share). */
export declare function isInvalidRow(i: number, seed: number, share: number): boolean;
/** The unique description of row i: with the account and date it is the resource's unique key. */
export declare function descriptionOf(i: number): string;
export declare function transactionRow(i: number, seed: number, share: number): TransactionRow;
/** Breaks one field of a row the way `kind` says; the unique key fields other than it stay. */
export declare function makeInvalid(row: TransactionRow, kind: InvalidKind): TransactionRow;
export declare function formatRow(row: TransactionRow, format: 'csv' | 'ndjson' | 'json'): string;

export interface GenerateOptions {
  rows: number;
  seed?: number;
  /** Share of rows the server will reject. @default 0 */
  invalidShare?: number;
  format: 'csv' | 'ndjson' | 'json';
  out: string | Writable;
}

/** Streams N rows to a file with backpressure: a 5M-row file is never held in memory. */
export declare function generateTransactions(opts: GenerateOptions): Promise<{ rows: number; invalid: number }>;
