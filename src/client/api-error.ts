// ApiError: why a request to the job API did not succeed, as a kind the upload core can act on.
import { BulkError } from '../errors/bulk-error.js';

/** Why a request to the job API did not succeed, in terms the upload core can act on. */
export type ApiErrorKind =
  /** Could not reach the server, or it kept failing until the deadline. */
  | 'unreachable'
  /** 401/403: the token is missing or refused. */
  | 'auth'
  /** 404 for a job, or for an unknown resource. */
  | 'not-found'
  /** 413: the batch is too large for the server. */
  | 'too-large'
  /** Any other 4xx the server will answer the same way next time. */
  | 'rejected'
  /** The server answered something that is not the protocol (bad JSON, missing fields). */
  | 'protocol';

/**
 * What came back, where the status code alone does not say it: no answer in time (`timeout`) or
 * the connection broken (`reset`), on some attempt after the request may have reached the server;
 * no connection made on any attempt (`refused`: the server cannot have the request); a body that
 * stopped moving or dripped (`trickle`), a body over the answer size limit (`over-limit`), a start
 * the server has no resource for (`unknown-resource`), a URL the server gave on another origin,
 * refused before any request (`other-origin`).
 */
export type AnswerDetail =
  'timeout' | 'reset' | 'refused' | 'trickle' | 'over-limit' | 'unknown-resource' | 'other-origin';

export class ApiError extends BulkError {
  declare readonly kind: ApiErrorKind;

  constructor(
    kind: ApiErrorKind,
    message: string,
    readonly status: number | null = null,
    readonly body: unknown = null,
    readonly detail: AnswerDetail | null = null,
  ) {
    super(kind, message);
    this.name = 'ApiError';
  }
}

/** The server's own words for an error, when its body is the protocol's `{"error": ...}`. */
export function errorMessageOf(body: unknown, fallback: string): string {
  if (body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string') {
    return (body as { error: string }).error;
  }
  return fallback;
}
