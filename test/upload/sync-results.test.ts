// A start answered with results instead of a job (the upstream's synchronous upsert): settled only
// where the answer adds up to the batch, else unconfirmed.
import { describe, expect, it } from 'vitest';
import { judgeSyncResults } from '../../src/upload/settle/sync-results.js';

describe('results instead of a job', () => {
  it('200 with one stored record per item: every row stored', () => {
    expect(judgeSyncResults(3, 200, [{ id: 1 }, { id: 2 }, { id: 3 }])).toEqual({
      kind: 'settled',
      stored: 3,
      failed: [],
    });
  });
  it('200 with a single record for a batch of one: stored', () => {
    expect(judgeSyncResults(1, 200, { id: 1 })).toMatchObject({ kind: 'settled', stored: 1 });
  });
  it.each([
    ['fewer results than rows', 3, 200, [{ id: 1 }]],
    ['a record for a batch of two', 2, 200, { id: 1 }],
    ['a body that is not results', 2, 200, { message: 'ok' }],
    ['a 204 without a body', 2, 204, null],
  ])('%s: unconfirmed', (_name, rows, status, body) => {
    expect(judgeSyncResults(rows as number, status as number, body).kind).toBe('unconfirmed');
  });
  it('207 whose summary and errors add up: stored and failed with their rows', () => {
    const body = {
      success: [{}, {}],
      errors: [{ index: 1, error: 'bad amount' }],
      summary: { successful_items: 2, failed_items: 1 },
    };
    expect(judgeSyncResults(3, 207, body)).toEqual({
      kind: 'settled',
      stored: 2,
      failed: [{ index: 1, error: 'bad amount' }],
    });
  });
  it('207 whose errors name no row: unconfirmed', () => {
    const body = { errors: [{ error: 'x' }], summary: { successful_items: 2, failed_items: 1 } };
    expect(judgeSyncResults(3, 207, body).kind).toBe('unconfirmed');
  });
});
