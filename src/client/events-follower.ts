// Following one job's server events (text/event-stream) to its final status. Falls silent rather
// than failing: a stream that ends early, breaks or goes silent past its heartbeat returns null and
// the caller polls instead (through the balancer, so another node answers).
import { createParser } from 'eventsource-parser';
import { HEARTBEAT_HEADER, isFinal, type StatusResponse } from '../protocol/index.js';
import { ApiError } from './api-error.js';
import type { HttpTransport } from './http-transport.js';
import type { JobRef } from './job-ref.js';
import { parseStatus } from './parse-status.js';
import { parseServerJson } from './server-text.js';
import { silenceLimitMs, StreamSilentError, watchSilence, type SilenceWatch } from './stream-silence.js';

/**
 * Follows a job's server events until it reaches a final state. Returns the final status, or
 * null when the stream ended early or failed, so the caller falls back to polling.
 *
 * `signal` ends the stream: the caller's follow signal, not the client's stop signal, so a first
 * Ctrl-C lets a job in flight be heard to its end (the run's grace period) instead of cutting it off.
 */
export async function followEvents(
  transport: HttpTransport,
  ref: JobRef,
  onStatus: (status: StatusResponse) => void,
  signal?: AbortSignal,
): Promise<StatusResponse | null> {
  if (!ref.eventsUrl) return null;
  let last: StatusResponse | null = null;
  // Events are handled as parsed, in order: the first final state ends the stream, whatever came
  // in the same read after it (the same bytes in one read or in two give one outcome).
  let final: StatusResponse | null = null;
  // Bytes fed since the last whole event, and since when: an event over the answer size limit, or
  // one that drips, ends the stream (the caller polls instead), as an answer body would.
  let pending = 0;
  let pendingSince = 0;
  // A state word outside the protocol is not malformed JSON to skip: it ends the run (see parse-status).
  let violation: ApiError | null = null;
  let silence: SilenceWatch | null = null;
  try {
    const res = await transport.openStream(ref.eventsUrl, 'text/event-stream', `events of job ${ref.jobId}`, signal);
    if (res.statusCode !== 200) {
      await res.body.dump();
      if (res.statusCode === 404) throw new ApiError('not-found', `job ${ref.jobId} is not known to the server`, 404);
      return null;
    }
    // A peer that died without closing (a killed node behind a balancer that keeps our side open)
    // is only silence: past about two of its announced heartbeats, the stream is given up.
    const limit = silenceLimitMs(res.headers[HEARTBEAT_HEADER]);
    if (limit !== null) silence = watchSilence(limit, () => res.body.destroy(new StreamSilentError(limit)));
    const parser = createParser({
      onComment: () => void (pending = 0),
      onEvent: (message) => {
        pending = 0;
        if (final || violation) return;
        let body: unknown;
        try {
          body = parseServerJson(message.data);
        } catch {
          // A malformed event is skipped; polling settles the truth if the stream ends without a final state.
          return;
        }
        if (!body || typeof body !== 'object' || typeof (body as { state?: unknown }).state !== 'string') return;
        try {
          last = parseStatus(body, ref.jobId);
        } catch (err) {
          violation ??= err as ApiError;
          return;
        }
        onStatus(last);
        if (isFinal(last.state)) final = last;
      },
    });
    // undici's body yields Buffers whatever setEncoding says; a streaming decoder keeps a
    // character split across two chunks whole.
    const decoder = new TextDecoder();
    for await (const chunk of res.body) {
      silence?.heard();
      const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk as Uint8Array, { stream: true });
      if (pending === 0) pendingSince = Date.now();
      pending += text.length;
      const dripping = Date.now() - pendingSince > transport.timeoutMs + (pending / 1024) * 1000;
      if (pending > transport.maxAnswerBytes || dripping) {
        res.body.destroy();
        return null;
      }
      parser.feed(text);
      if (violation) {
        res.body.destroy();
        throw violation;
      }
      if (final) {
        res.body.destroy();
        break;
      }
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    if ((signal ?? transport.signal)?.aborted) throw err;
    return null;
  } finally {
    silence?.stop();
  }
  return final;
}
