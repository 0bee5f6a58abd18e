// Reading one answer's body within bounds: never more than the answer size limit held (a larger
// body is refused as soon as it passes the limit, or at once when its Content-Length says so), and
// a body that stops moving or drips is a timeout, as silence before the headers is.

/** An answer's body as the transport hands it over: chunks, and a way to stop reading. */
export interface AnswerBody extends AsyncIterable<unknown> {
  destroy(err?: Error): unknown;
}

/** 64 MiB: far above any answer of the protocol (an errors page of 1000 errors is well under 1 MiB). */
export const DEFAULT_MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/** A body slower than this, after the inactivity timeout, is dripping. */
const FLOOR_BYTES_PER_SECOND = 1024;
const WATCH_MS = 100;

export interface BodyBounds {
  maxBytes: number;
  /** The inactivity timeout (--timeout), in ms. */
  timeoutMs: number;
}

/** Why a body was not read: over the size limit, or too slow (stopped, or dripping). */
export class BodyBoundError extends Error {
  constructor(
    readonly detail: 'over-limit' | 'trickle',
    message: string,
  ) {
    super(message);
  }
}

const mib = (n: number) => `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;
const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

export function overLimit(maxBytes: number, declared?: number): BodyBoundError {
  const size = declared === undefined ? 'more than' : `${mib(declared)}, over`;
  return new BodyBoundError(
    'over-limit',
    `the answer is ${size} the ${mib(maxBytes)} bulk reads (--max-answer-size); not read`,
  );
}

/**
 * The body as text, or a BodyBoundError. A body must keep the pace of the link's floor once the
 * inactivity timeout has passed: `timeoutMs + received / 1 KiB/s`, so a large answer on a slow link
 * is read whole while one byte a second ends after about one timeout.
 */
export async function readBoundedBody(
  body: AnswerBody,
  headers: Record<string, string | string[] | undefined>,
  bounds: BodyBounds,
): Promise<string> {
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > bounds.maxBytes) {
    body.destroy();
    throw overLimit(bounds.maxBytes, declared);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const started = Date.now();
  let lastChunk = started;
  let failure: BodyBoundError | null = null;
  const check = () => {
    const now = Date.now();
    if (failure || now - started <= bounds.timeoutMs + (size / FLOOR_BYTES_PER_SECOND) * 1000) return;
    failure =
      now - lastChunk > bounds.timeoutMs
        ? new BodyBoundError(
            'trickle',
            `the answer stopped moving: nothing for ${seconds(now - lastChunk)} after ${size} bytes (--timeout)`,
          )
        : new BodyBoundError(
            'trickle',
            `the answer dripped: ${size} bytes in ${seconds(now - started)}, slower than bulk waits for (--timeout)`,
          );
    body.destroy(failure);
  };
  const watchdog = setInterval(check, WATCH_MS);
  try {
    for await (const chunk of body) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > bounds.maxBytes) {
        failure = overLimit(bounds.maxBytes);
        body.destroy();
        break;
      }
      chunks.push(buf);
      lastChunk = Date.now();
      check();
      if (failure) break;
    }
  } catch (err) {
    if (failure) throw failure;
    throw err;
  } finally {
    clearInterval(watchdog);
  }
  if (failure) throw failure;
  return Buffer.concat(chunks, size).toString('utf8');
}
