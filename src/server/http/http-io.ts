// HTTP plumbing for the routes: JSON answers, a bounded body reader, and HttpError, the way a
// route ends a request with a protocol error.
import { isUtf8 } from 'node:buffer';
import type { Hash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An answer that ends a request early with a protocol error body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendJsonText(res, status, JSON.stringify(body), headers);
}

/** For bodies whose JSON is built by hand (exact decimals). */
export function sendJsonText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/**
 * Reads a request body up to `limit` bytes, as text. Past the limit it answers 413 at once, with
 * or without a Content-Length, and stops reading: memory stays bounded whatever the client sends.
 * With a Content-Length the bytes land in one buffer of that size as they arrive (no list of
 * chunks and no concatenated copy), are checked as UTF-8 and fed to `hash` in place, and only the
 * decoded text outlives the call: about one copy of the body at a time besides the text.
 */
export function readBody(req: IncomingMessage, limit: number, hash?: Hash): Promise<string> {
  const declared = Number(req.headers['content-length']);
  const sized = req.headers['content-length'] !== undefined && Number.isSafeInteger(declared) && declared >= 0;
  if (sized && declared > limit) {
    return Promise.reject(
      new HttpError(
        413,
        `Request body too large: ${declared} bytes (the limit is ${limit})`,
        { limit_bytes: limit },
        { connection: 'close' },
      ),
    );
  }
  return new Promise((resolve, reject) => {
    let whole: Buffer | null = null;
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      if (size + chunk.length > limit) {
        done = true;
        req.pause();
        reject(
          new HttpError(
            413,
            `Request body too large: more than ${limit} bytes`,
            { limit_bytes: limit },
            { connection: 'close' },
          ),
        );
        return;
      }
      // Allocated when data arrives, not when a header promises it.
      if (sized && whole === null) whole = Buffer.allocUnsafe(declared);
      if (whole && size + chunk.length <= whole.length) chunk.copy(whole, size);
      else chunks.push(chunk);
      size += chunk.length;
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      const bytes =
        whole && chunks.length === 0
          ? whole.subarray(0, size)
          : Buffer.concat(whole ? [whole.subarray(0, whole.length), ...chunks] : chunks, size);
      whole = null;
      chunks.length = 0;
      // Fatal: a body with broken UTF-8 is refused, not silently given U+FFFD in place of the bytes.
      if (!isUtf8(bytes)) {
        reject(new HttpError(400, 'Malformed JSON: the body is not valid UTF-8'));
        return;
      }
      // A leading byte-order mark is not part of the JSON.
      const text = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
      hash?.update(text);
      resolve(text.toString('utf8'));
    });
    req.on('error', (err) => {
      if (!done) {
        done = true;
        reject(err);
      }
    });
    req.on('aborted', () => {
      if (!done) {
        done = true;
        reject(new HttpError(400, 'request aborted'));
      }
    });
  });
}
