// HTTP plumbing for the routes: JSON answers, a bounded body reader, and HttpError, the way a
// route ends a request with a protocol error.
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

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendJsonText(res, status, JSON.stringify(body), headers);
}

/** For bodies whose JSON is built by hand (exact decimals). */
export function sendJsonText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

// Fatal: a body with broken UTF-8 is refused, not silently given U+FFFD in place of the bytes.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a request body up to `limit` bytes. Past the limit it answers 413 at once, with or without
 * a Content-Length, and stops reading: memory stays bounded whatever the client sends.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(new HttpError(413, `Request body too large: ${declared} bytes (the limit is ${limit})`, { limit_bytes: limit }, { connection: 'close' }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        req.pause();
        reject(new HttpError(413, `Request body too large: more than ${limit} bytes`, { limit_bytes: limit }, { connection: 'close' }));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        try {
          resolve(utf8.decode(Buffer.concat(chunks, size)));
        } catch {
          reject(new HttpError(400, 'Malformed JSON: the body is not valid UTF-8'));
        }
      }
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
