/**
 * Bounds how many batches are out at once; reading waits on acquire(), so memory stays flat. The
 * limit may be a function: it is read at each acquire and release, so it can follow the link.
 */
export class Semaphore {
  private waiters: Array<() => void> = [];
  private active = 0;

  constructor(private readonly limit: number | (() => number)) {}

  private get max(): number {
    return Math.max(1, typeof this.limit === 'number' ? this.limit : this.limit());
  }

  async acquire(): Promise<void> {
    if (this.active < this.max) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    // Past a lowered limit a freed slot is not handed on; under a raised one, more waiters go.
    this.active--;
    while (this.active < this.max && this.waiters.length > 0) {
      this.active++;
      (this.waiters.shift() as () => void)();
    }
  }

  get inUse(): number {
    return this.active;
  }
}
