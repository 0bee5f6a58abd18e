// The answer table, row by row: what every answer after a batch is sent makes of its rows, and
// whether the run goes on. The promise it keeps: failed only where the server said so, stored only
// on an answer that adds up, unprocessed only where the server cannot have stored the rows.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/client/api-error.js';
import {
  ANSWER_TABLE,
  ANSWERS,
  answerOf,
  classifyAnswer,
  type Answer,
  type Endpoint,
} from '../../src/upload/settle/answer-table.js';

describe('the answer table', () => {
  it('has a row for every endpoint and every kind of answer', () => {
    for (const endpoint of Object.keys(ANSWER_TABLE) as Endpoint[])
      for (const answer of ANSWERS) expect(classifyAnswer(endpoint, answer), `${endpoint} ${answer}`).toBeDefined();
  });

  it('after a 202, nothing but a final status that adds up settles a batch, and nothing makes its rows failed or unprocessed', () => {
    for (const answer of ANSWERS) {
      const rule = classifyAnswer('status', answer);
      if (answer === '2xx-adds-up') expect(rule).toEqual({ rows: 'settled', stop: null });
      else {
        expect(rule.rows, answer).toBe('unconfirmed');
        expect(rule.stop, answer).not.toBeNull();
      }
    }
  });

  it.each<[Answer, string]>([
    ['3xx', 'unconfirmed'],
    ['400', 'unconfirmed'],
    ['410', 'unconfirmed'],
    ['404', 'job-lost'],
    ['401', 'auth'],
    ['5xx', 'unreachable'],
    ['timeout', 'unreachable'],
    ['trickle', 'unconfirmed'],
    ['over-limit', 'unconfirmed'],
    ['other-origin', 'protocol'],
  ])('status answered %s: rows unconfirmed, the run stops (%s)', (answer, stop) => {
    expect(classifyAnswer('status', answer)).toEqual({ rows: 'unconfirmed', stop });
  });

  it("an errors page that cannot be read keeps the job's counts: its failed rows unattributed, the run goes on", () => {
    for (const answer of ANSWERS.filter((a) => a !== '2xx-adds-up' && a !== 'other-origin'))
      expect(classifyAnswer('errors', answer), answer).toEqual({ rows: 'unattributed', stop: null });
  });

  it('aggregates are an extra: never a reason to doubt the rows or to stop (a URL elsewhere is still refused)', () => {
    for (const answer of ANSWERS.filter((a) => a !== '2xx-adds-up' && a !== 'other-origin'))
      expect(classifyAnswer('aggregates', answer), answer).toEqual({ rows: 'kept', stop: null });
    expect(classifyAnswer('aggregates', 'other-origin')).toEqual({ rows: 'unconfirmed', stop: 'protocol' });
  });

  it.each<[Answer, string, string | null]>([
    ['400', 'failed', null],
    ['4xx', 'failed', null],
    ['413', 'split', null],
    ['422', 'failed', 'protocol'],
    ['404', 'unprocessed', 'unknown-resource'],
    ['401', 'unprocessed', 'auth'],
    ['3xx', 'unprocessed', 'protocol'],
    ['5xx', 'unprocessed', 'unreachable'],
    ['reset', 'unconfirmed', 'unconfirmed'],
    ['timeout', 'unconfirmed', 'unconfirmed'],
    ['refused', 'unprocessed', 'unreachable'],
    ['trickle', 'unconfirmed', 'unconfirmed'],
    ['2xx-not-adding-up', 'unconfirmed', 'unconfirmed'],
    ['over-limit', 'unconfirmed', 'unconfirmed'],
  ])('a start answered %s: rows %s, stop %s', (answer, rows, stop) => {
    expect(classifyAnswer('start', answer)).toEqual({ rows, stop });
  });
});

describe('the kind of answer an ApiError stands for', () => {
  it.each<[ApiError, Answer]>([
    [new ApiError('rejected', 'm', 302), '3xx'],
    [new ApiError('rejected', 'm', 307), '3xx'],
    [new ApiError('rejected', 'm', 410), '410'],
    [new ApiError('rejected', 'm', 418), '4xx'],
    [new ApiError('not-found', 'm', 404), '404'],
    [new ApiError('unreachable', 'm', 503), '5xx'],
    [new ApiError('unreachable', 'm', null, null, 'timeout'), 'timeout'],
    [new ApiError('unreachable', 'm', null, null, 'reset'), 'reset'],
    [new ApiError('unreachable', 'm', null, null, 'refused'), 'refused'],
    [new ApiError('unreachable', 'm', 503, null, 'reset'), 'reset'],
    [new ApiError('unreachable', 'm', 200, null, 'trickle'), 'trickle'],
    [new ApiError('protocol', 'm', 200, null, 'over-limit'), 'over-limit'],
    [new ApiError('protocol', 'm', null, null, 'other-origin'), 'other-origin'],
    [new ApiError('protocol', 'no job_id', 200), '2xx-not-adding-up'],
    [new ApiError('not-found', 'm', 404, null, 'unknown-resource'), '404'],
  ])('%s → %s', (err, answer) => {
    expect(answerOf(err)).toBe(answer);
  });
});
