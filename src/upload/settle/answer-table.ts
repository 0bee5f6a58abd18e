// The one table of answers after a batch is sent: for each endpoint (the start request, the job's
// status or events, its errors pages, its aggregates) and each kind of answer (a 2xx that adds up
// or not, 3xx, 4xx by code, 5xx, timeouts, resets, trickles, bodies over the limit), what becomes of
// the batch's rows and whether the run goes on. Failed only where the server said so; stored only on
// evidence that adds up; unprocessed only where the server cannot have stored the rows; everything
// else unconfirmed. Pure: test/upload/answer-table.test.ts walks every row.
import { ApiError } from '../../client/api-error.js';

export type Endpoint = 'start' | 'status' | 'errors' | 'aggregates';

export type Answer =
  | '2xx-adds-up'
  | '2xx-not-adding-up'
  | '3xx'
  | '400'
  | '401'
  | '403'
  | '404'
  | '409'
  | '410'
  | '413'
  | '422'
  | '429'
  | '4xx'
  | '5xx'
  | 'timeout'
  | 'reset'
  | 'refused'
  | 'trickle'
  | 'over-limit'
  | 'other-origin';

export const ANSWERS: readonly Answer[] = [
  '2xx-adds-up',
  '2xx-not-adding-up',
  '3xx',
  '400',
  '401',
  '403',
  '404',
  '409',
  '410',
  '413',
  '422',
  '429',
  '4xx',
  '5xx',
  'timeout',
  'reset',
  'refused',
  'trickle',
  'over-limit',
  'other-origin',
];

/**
 * What becomes of the batch's rows. `settled`: counted as the answer says (reconciled first).
 * `failed`: each row fails with the server's reason. `split`: sent again in halves. `unattributed`:
 * the job's counts stand, its failed rows are counted without their lines. `kept`: the rows are
 * settled by the status; only this extra (aggregates) is not available.
 */
export type RowsFate = 'settled' | 'failed' | 'split' | 'unprocessed' | 'unconfirmed' | 'unattributed' | 'kept';

/** Why the run stops after such an answer (a kind of the exit-code table). */
export type AnswerStop = 'unconfirmed' | 'protocol' | 'auth' | 'unknown-resource' | 'unreachable' | 'job-lost';

export interface AnswerRule {
  rows: RowsFate;
  /** The run's stop, or null when it goes on. */
  stop: AnswerStop | null;
}

const go = (rows: RowsFate): AnswerRule => ({ rows, stop: null });
const stop = (rows: RowsFate, reason: AnswerStop): AnswerRule => ({ rows, stop: reason });

/**
 * The start request. The server said it took nothing (a 4xx refusal, a 5xx or 429 after the
 * retries) or never got the request (no connection made on any attempt): unprocessed, a resume
 * sends it again. No answer after the request may have arrived (a timeout or a reset on any
 * attempt), or an answer bulk cannot read (over the limit, a 2xx that is neither a job nor results
 * adding up to the batch): the server may have made a job of it, so its rows are unconfirmed.
 */
const START: Record<Answer, AnswerRule> = {
  '2xx-adds-up': go('settled'),
  '2xx-not-adding-up': stop('unconfirmed', 'unconfirmed'),
  '3xx': stop('unprocessed', 'protocol'),
  '400': go('failed'),
  '401': stop('unprocessed', 'auth'),
  '403': stop('unprocessed', 'auth'),
  '404': stop('unprocessed', 'unknown-resource'),
  '409': stop('unprocessed', 'unreachable'),
  '410': go('failed'),
  '413': go('split'),
  '422': stop('failed', 'protocol'),
  '429': stop('unprocessed', 'unreachable'),
  '4xx': go('failed'),
  '5xx': stop('unprocessed', 'unreachable'),
  // The rows' fate is the news (exit 3), retried in vain or not retried at all (keys not replayed).
  timeout: stop('unconfirmed', 'unconfirmed'),
  reset: stop('unconfirmed', 'unconfirmed'),
  refused: stop('unprocessed', 'unreachable'),
  trickle: stop('unconfirmed', 'unconfirmed'),
  'over-limit': stop('unconfirmed', 'unconfirmed'),
  'other-origin': stop('unprocessed', 'protocol'),
};

/** After a 202: the server has the batch, so nothing short of a final status that adds up settles it. */
const STATUS: Record<Answer, AnswerRule> = {
  '2xx-adds-up': go('settled'),
  '2xx-not-adding-up': stop('unconfirmed', 'protocol'),
  '3xx': stop('unconfirmed', 'unconfirmed'),
  '400': stop('unconfirmed', 'unconfirmed'),
  '401': stop('unconfirmed', 'auth'),
  '403': stop('unconfirmed', 'auth'),
  '404': stop('unconfirmed', 'job-lost'),
  '409': stop('unconfirmed', 'unreachable'),
  '410': stop('unconfirmed', 'unconfirmed'),
  '413': stop('unconfirmed', 'unconfirmed'),
  '422': stop('unconfirmed', 'unconfirmed'),
  '429': stop('unconfirmed', 'unreachable'),
  '4xx': stop('unconfirmed', 'unconfirmed'),
  '5xx': stop('unconfirmed', 'unreachable'),
  timeout: stop('unconfirmed', 'unreachable'),
  reset: stop('unconfirmed', 'unreachable'),
  refused: stop('unconfirmed', 'unreachable'),
  trickle: stop('unconfirmed', 'unconfirmed'),
  'over-limit': stop('unconfirmed', 'unconfirmed'),
  'other-origin': stop('unconfirmed', 'protocol'),
};

/**
 * A URL the server gave on another origin is never followed, at any endpoint: the job's answer is
 * refused whole (the token stays on its origin), as the status's row says.
 */
const refuseElsewhere = (a: Answer, rule: AnswerRule): AnswerRule => (a === 'other-origin' ? STATUS[a] : rule);

/** After a final status that adds up: the counts stand; an unreadable errors page only hides which rows failed. */
const ERRORS: Record<Answer, AnswerRule> = Object.fromEntries(
  ANSWERS.map((a) => [a, refuseElsewhere(a, go(a === '2xx-adds-up' ? 'settled' : 'unattributed'))]),
) as Record<Answer, AnswerRule>;

/** Aggregates are an extra: never a reason to doubt the rows or to stop. */
const AGGREGATES: Record<Answer, AnswerRule> = Object.fromEntries(
  ANSWERS.map((a) => [a, refuseElsewhere(a, go(a === '2xx-adds-up' ? 'settled' : 'kept'))]),
) as Record<Answer, AnswerRule>;

export const ANSWER_TABLE: Readonly<Record<Endpoint, Readonly<Record<Answer, AnswerRule>>>> = {
  start: START,
  status: STATUS,
  errors: ERRORS,
  aggregates: AGGREGATES,
};

export function classifyAnswer(endpoint: Endpoint, answer: Answer): AnswerRule {
  return ANSWER_TABLE[endpoint][answer];
}

/** The kind of answer a failed request got, from the ApiError the client threw. */
export function answerOf(err: ApiError): Answer {
  if (err.detail === 'unknown-resource') return '404';
  if (err.detail) return err.detail;
  const status = err.status;
  if (status === null) return err.kind === 'unreachable' ? 'reset' : '2xx-not-adding-up';
  if (status >= 200 && status < 300) return '2xx-not-adding-up';
  if (status >= 300 && status < 400) return '3xx';
  if (status >= 500) return '5xx';
  const named = String(status) as Answer;
  return ANSWERS.includes(named) ? named : '4xx';
}
