/**
 * Tells a quiet event stream from a dead one. A server that announces its heartbeat interval
 * (HEARTBEAT_HEADER) writes at least that often; hearing nothing for about two intervals means
 * the peer is gone (killed behind a balancer that keeps the client's side open, hung, or cut off
 * by a partition), and the caller gives the stream up rather than wait out a long body timeout.
 */

/** Missed heartbeats before a stream counts as dead. */
export const MISSED_HEARTBEATS = 2;
/** Intervals outside this range are ignored (the transport's own body timeout still applies). */
const MIN_INTERVAL_MS = 50;
const MAX_INTERVAL_MS = 10 * 60_000;

/** How long a stream may stay silent, from the announced interval; null when none (or a nonsense one) was announced. */
export function silenceLimitMs(announced: string | string[] | undefined): number | null {
  const text = Array.isArray(announced) ? announced[0] : announced;
  if (text === undefined || !/^\d+$/.test(text.trim())) return null;
  const interval = Number(text);
  if (interval < MIN_INTERVAL_MS || interval > MAX_INTERVAL_MS) return null;
  // A little slack on top: timers and a busy event loop on either side are late by a moment.
  return MISSED_HEARTBEATS * interval + Math.min(interval, 1000);
}

export interface SilenceWatch {
  /** Something arrived: the silence starts again from now. */
  heard(): void;
  stop(): void;
}

/** Calls `onSilent` once if `heard()` is not called for `limitMs`. */
export function watchSilence(limitMs: number, onSilent: () => void): SilenceWatch {
  let fired = false;
  const timer = setTimeout(() => {
    fired = true;
    onSilent();
  }, limitMs);
  return {
    heard: () => {
      if (!fired) timer.refresh();
    },
    stop: () => clearTimeout(timer),
  };
}

/** The stream fell silent past its announced heartbeat. */
export class StreamSilentError extends Error {
  constructor(limitMs: number) {
    super(`the event stream sent nothing for ${Math.round(limitMs / 100) / 10} s, past its announced heartbeat`);
  }
}
