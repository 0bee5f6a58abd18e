// How many jobs may be out at once, adjusted to the link: fewer when requests slow down, more
// again when they speed up (additive increase, multiplicative decrease).

/**
 * Latency is the signal: on a slow link every extra batch in flight shares the same bytes a
 * second, so each request takes longer and comes closer to a timeout without moving more rows.
 * Samples are smoothed (one slow request on a busy machine is noise, two are a trend); when the
 * smoothed latency passes twice the best it has been, or a request fails, the limit halves, at
 * most once per `cooldown` samples; `increaseAfter` quick samples in a row add one, up to `max`.
 */
export interface ConcurrencyLimitOptions {
  max: number;
  /** @default 1 */
  min?: number;
  /** Samples after a decrease before another. @default the limit at the time */
  cooldown?: number;
  /** Quick samples in a row before an increase. @default 3 */
  increaseAfter?: number;
}

export class ConcurrencyLimit {
  private value: number;
  private readonly min: number;
  private best = Number.POSITIVE_INFINITY;
  private smoothed: number | null = null;
  private quick = 0;
  private sinceDecrease = Number.POSITIVE_INFINITY;

  constructor(private readonly opts: ConcurrencyLimitOptions) {
    this.value = opts.max;
    this.min = Math.max(1, opts.min ?? 1);
  }

  get current(): number {
    return this.value;
  }

  /**
   * One start request's time per KiB of body (so big and small batches compare), or `null`
   * for a request that failed (a timeout, a reset).
   */
  sample(msPerKiB: number | null): void {
    this.sinceDecrease++;
    if (msPerKiB !== null) {
      this.smoothed = this.smoothed === null ? msPerKiB : 0.6 * this.smoothed + 0.4 * msPerKiB;
      this.best = Math.min(this.best, this.smoothed);
    }
    const latency = this.smoothed ?? 0;
    const slow = msPerKiB === null || latency > 2 * this.best;
    if (slow) {
      this.quick = 0;
      if (this.sinceDecrease >= (this.opts.cooldown ?? this.value)) {
        this.value = Math.max(this.min, Math.floor(this.value / 2));
        this.sinceDecrease = 0;
      }
      return;
    }
    if (latency <= 1.25 * this.best && ++this.quick >= (this.opts.increaseAfter ?? 3)) {
      this.value = Math.min(this.opts.max, this.value + 1);
      this.quick = 0;
    }
  }
}
