// When a request waiting for its answer has waited too long on this link: no bytes either way for
// the inactivity timeout, beyond the time the link needs to carry the request bodies in flight.

/**
 * Why not a fixed wait for the headers: a request body handed to the socket is not yet sent. The
 * kernel takes megabytes at once (on loopback all of a batch), so from here a slow upload looks
 * like a server that does not answer, and a clock started when the body was written fires on
 * every large batch of a slow link. So the link as a whole is watched: any answer arriving is a
 * sign of life, and the wait allows for the bytes still to cross, at the pace the link has shown
 * (halved after a timeout, so a retry waits longer).
 */
export interface PaceOptions {
  /** The pace assumed before any request finished, in bytes a second. @default 32 KiB/s */
  initialBytesPerSecond?: number;
  /** Never assume a slower link than this. @default 1 KiB/s */
  floorBytesPerSecond?: number;
}

export interface PacedRequest {
  /** Whether the request has waited too long at `now` (ms), `timeoutMs` being the inactivity timeout. */
  overdue(now: number, timeoutMs: number): boolean;
  /** The request got its answer (`ok`: its headers; the link is alive) or failed. */
  end(now: number, ok: boolean): void;
}

export class LinkPace {
  private bytesPerSecond: number;
  private readonly floor: number;
  private inFlight = 0;
  private lastAnswer = Number.NEGATIVE_INFINITY;

  constructor(opts: PaceOptions = {}) {
    this.bytesPerSecond = opts.initialBytesPerSecond ?? 32 * 1024;
    this.floor = opts.floorBytesPerSecond ?? 1024;
  }

  /** The pace the link has shown, in bytes a second. */
  get pace(): number {
    return this.bytesPerSecond;
  }

  /** A request with a body of `bytes` starts at `now`: it shares the link with every body in flight. */
  begin(bytes: number, now: number): PacedRequest {
    this.inFlight += bytes;
    const ahead = this.inFlight;
    let ended = false;
    return {
      overdue: (at, timeoutMs) => {
        const quietSince = Math.max(now, this.lastAnswer);
        return at - quietSince > timeoutMs + (this.inFlight / this.bytesPerSecond) * 1000;
      },
      end: (at, ok) => {
        if (ended) return;
        ended = true;
        this.inFlight -= bytes;
        if (ok) this.lastAnswer = Math.max(this.lastAnswer, at);
        const elapsed = at - now;
        // Too little data says nothing about the link's pace: a small request is all latency.
        if (ok && ahead >= 16 * 1024 && elapsed > 0) {
          this.bytesPerSecond = Math.max(this.floor, 0.7 * this.bytesPerSecond + 0.3 * ((ahead / elapsed) * 1000));
        } else if (!ok) {
          this.bytesPerSecond = Math.max(this.floor, this.bytesPerSecond / 2);
        }
      },
    };
  }
}
