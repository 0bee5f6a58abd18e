// Whether a batch still unconfirmed after asking again may go again, and the words that say why:
// only where a resend cannot store a row twice, or when the user said so.
import { describe, expect, it } from 'vitest';
import { makeBatch } from '../../src/upload/send/batch.js';
import { resendVerdict } from '../../src/upload/send/job-fates.js';

const batch = makeBatch(1, 't.csv', [{ a: 1 }, { a: 2 }], [2, 3]);
const why = 'no answer to its start could be read';

describe('resend verdict', () => {
  it.each([
    ['keys replayed', { keys_honoured: true }, {}, /this server honours Idempotency-Key/],
    ['an upsert', {}, { upsert: { uniqueFields: ['a'] } }, /an upsert by a unique key/],
    [
      'rows carrying a unique key',
      {},
      { carriedKey: ['account_id', 'transaction_date'] },
      /carry the resource's unique key \(account_id, transaction_date\).*comes back failed as a duplicate/,
    ],
    ['the flag', {}, { resendUnconfirmed: true }, /--resend-unconfirmed was given \(rows the server did store may be/],
  ])('%s: sent again, saying why', (_name, checkpoint, opts, text) => {
    const v = resendVerdict(batch, why, checkpoint, opts);
    expect(v.resend).toBe(true);
    expect(v.text).toMatch(
      /^lines 2-3 of t\.csv are still unconfirmed \(no answer to its start could be read\): sent again: /,
    );
    expect(v.text).toMatch(text);
  });

  it('none of those: not sent again, and the flag that would is named', () => {
    const v = resendVerdict(batch, why, {}, { carriedKey: null });
    expect(v.resend).toBe(false);
    expect(v.text).toMatch(
      /not sent again, as this server has not shown it honours Idempotency-Key.*--resend-unconfirmed/,
    );
  });
});
