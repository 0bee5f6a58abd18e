/**
 * The bottom of a terminal that is redrawn in place: lines printed above it scroll away as usual,
 * and the live lines under them are repainted at a fixed rate (never once per printed line), and
 * only when something on them changed. Every line must fit the width: a wrapped line would move
 * the rows the cursor goes back over.
 */
import type { Writable } from 'node:stream';

const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';
const NO_AUTOWRAP = '\x1b[?7l';
const AUTOWRAP = '\x1b[?7h';
const ERASE_LINE_END = '\x1b[K';
const ERASE_DOWN = '\x1b[J';

/** At most this many frames a second. */
export const FRAMES_PER_SECOND = 10;

export class LiveRegion {
  private pending: string[] = [];
  /** Rows of live lines currently on screen, under the cursor's row start. */
  private drawnRows = 0;
  private drawn = '';
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  /** `frame` gives the live lines, each fitted to the width, at every tick. */
  constructor(
    private readonly stream: Writable,
    private readonly frame: () => string[],
  ) {}

  /** Starts the ticks; the first frame is drawn at once. */
  start(): void {
    if (this.timer || this.stopped) return;
    this.stream.write(HIDE_CURSOR + NO_AUTOWRAP);
    this.timer = setInterval(() => this.render(), 1000 / FRAMES_PER_SECOND);
    this.render();
  }

  get running(): boolean {
    return this.timer !== null;
  }

  /** Lines to print above the live ones, at the next frame. */
  log(lines: readonly string[]): void {
    if (this.stopped) return;
    if (!this.timer) {
      this.stream.write(lines.map((l) => `${l}\n`).join(''));
      return;
    }
    this.pending.push(...lines);
  }

  /** Draws a frame now if anything changed: `lines` instead of the frame's own, for the last one. */
  render(lines?: string[]): void {
    if (this.stopped) return;
    const live = lines ?? this.frame();
    const text = live.join('\n');
    if (this.pending.length === 0 && text === this.drawn) return;
    const before = this.drawn === '' && this.drawnRows === 0 ? [] : this.drawn.split('\n');
    this.stream.write(this.pending.length === 0 && before.length === live.length ? changedLines(before, live) : this.repaint(live));
    this.drawn = text;
    this.drawnRows = live.length;
  }

  /** Lines to print above, then every live line. */
  private repaint(live: string[]): string {
    let out = this.drawnRows > 1 ? `\r\x1b[${this.drawnRows - 1}A` : '\r';
    for (const l of this.pending) out += `${l}${ERASE_LINE_END}\n`;
    this.pending = [];
    out += live.map((l) => `${l}${ERASE_LINE_END}`).join('\n');
    return out + ERASE_DOWN;
  }

  /** Draws the last frame (`finalLines`, or the frame's own), leaves it on screen, and gives the terminal back. */
  stop(finalLines?: string[]): void {
    if (this.stopped) return;
    const wasRunning = this.timer !== null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (wasRunning) {
      this.render(finalLines ?? this.frame());
      this.stream.write(`${this.drawnRows > 0 ? '\n' : ''}${AUTOWRAP}${SHOW_CURSOR}`);
    }
    this.stopped = true;
  }
}

/**
 * Only the live lines that changed, the cursor moved between them: the overall line changes at
 * every frame, the job bars only when their job moves.
 */
function changedLines(before: readonly string[], after: readonly string[]): string {
  const last = after.length - 1;
  let row = last;
  let out = '';
  for (let i = 0; i <= last; i++) {
    if (before[i] === after[i]) continue;
    if (i < row) out += `\x1b[${row - i}A`;
    else if (i > row) out += `\x1b[${i - row}B`;
    out += `\r${after[i]}${ERASE_LINE_END}`;
    row = i;
  }
  if (row < last) out += `\x1b[${last - row}B`;
  return out;
}
