/**
 * The bottom of a terminal that is redrawn in place, drawn by cli-progress: one cli-progress bar
 * per row of the live view, each row's text from the layout (fitted to the width there), lines
 * printed above through the multibar's log so redraws never tear them. cli-progress redraws at a
 * fixed rate and only the rows whose text changed; each frame reaches the terminal in one write.
 */
import cliProgress from 'cli-progress';
import type { Writable } from 'node:stream';

/** At most this many frames a second. */
export const FRAMES_PER_SECOND = 10;

/** What a line above the bars ends with: the bar it lands on is erased to the end of the row. */
const ERASE_LINE_END = '\x1b[K';

type TtyStream = Writable & { isTTY?: boolean; columns?: number; rows?: number };

export class BarRows {
  private multibar: cliProgress.MultiBar | null = null;
  /** One bar per row, top to bottom: a row keeps its bar, so cli-progress compares like with like. */
  private readonly slots: cliProgress.SingleBar[] = [];
  private rows: string[] = [];
  private finalRows: string[] | null = null;
  /** Frames being drawn (cli-progress nests one when a bar is removed) and writes being held. */
  private drawing = 0;
  private holding = 0;
  private shrinking = false;
  private held = '';
  /** Lines were logged since the last frame: every row is drawn again under them. */
  private logged = false;
  /** Flips when rows must all be redrawn: the row texts differ from what cli-progress last drew. */
  private repaint = false;
  private stopped = false;

  /** `frame` gives the live lines, each fitted to the width, at every frame. */
  constructor(
    private readonly stream: TtyStream,
    private readonly frame: () => string[],
  ) {}

  get running(): boolean {
    return this.multibar !== null;
  }

  /** Starts the bars; the first frame is drawn at once. */
  start(): void {
    if (this.multibar || this.stopped) return;
    const out = this.stream;
    // cli-progress writes a frame in many small pieces: they go to the terminal as one write.
    const held: TtyStream = Object.assign(Object.create(null) as TtyStream, {
      isTTY: true,
      get columns() {
        return out.columns;
      },
      get rows() {
        return out.rows;
      },
      write: (chunk: string) => {
        this.held += chunk;
        if (this.holding === 0) this.flush();
        return true;
      },
    });
    const mb = new cliProgress.MultiBar({
      stream: held as unknown as NodeJS.WritableStream,
      fps: FRAMES_PER_SECOND,
      format: (_options, _params, payload: { row: number }) => this.rowText(payload.row),
      hideCursor: true,
      linewrap: false,
      // The CLI owns SIGINT: its handlers close the reporter, which stops the bars.
      gracefulExit: false,
      clearOnComplete: false,
      stopOnComplete: false,
      forceRedraw: false,
      synchronousUpdate: false,
      noTTYOutput: false,
    });
    mb.on('update-pre', () => this.beforeFrame());
    mb.on('update-post', () => this.afterFrame());
    this.multibar = mb;
    this.hold(() => {
      this.rows = this.frame();
      this.grow();
      mb.update();
    });
  }

  /** Lines to print above the live ones, at the next frame. */
  log(lines: readonly string[]): void {
    if (this.stopped || lines.length === 0) return;
    if (!this.multibar) {
      this.stream.write(lines.map((l) => `${l}\n`).join(''));
      return;
    }
    this.multibar.log(lines.map((l) => `${l}${ERASE_LINE_END}\n`).join(''));
    this.logged = true;
  }

  /** Draws the last frame (`finalLines`, or the frame's own), leaves it on screen, and gives the terminal back. */
  stop(finalLines?: string[]): void {
    if (this.stopped) return;
    this.stopped = true;
    const mb = this.multibar;
    if (!mb) return;
    this.finalRows = finalLines ?? null;
    try {
      this.hold(() => {
        // cli-progress prints logged lines only at a frame, never at stop(): draw one first.
        mb.update();
        mb.stop();
      });
    } finally {
      this.multibar = null;
    }
  }

  private rowText(row: number): string {
    const text = this.rows[row] ?? '';
    return this.repaint ? `${text}${ERASE_LINE_END}` : text;
  }

  private beforeFrame(): void {
    this.drawing++;
    this.holding++;
    if (this.drawing > 1 || this.shrinking) return;
    this.rows = this.finalRows ?? this.frame();
    this.grow();
    if (this.logged) {
      this.logged = false;
      this.repaint = !this.repaint;
    }
  }

  private afterFrame(): void {
    this.drawing--;
    if (this.drawing === 0 && !this.shrinking) {
      // Removing a bar draws a frame of its own (nested here) and clears the rows under it.
      this.shrinking = true;
      try {
        while (this.slots.length > Math.max(1, this.rows.length))
          this.multibar?.remove(this.slots.pop() as cliProgress.SingleBar);
      } finally {
        this.shrinking = false;
      }
    }
    this.holding--;
    if (this.holding === 0) this.flush();
  }

  private grow(): void {
    const mb = this.multibar;
    while (mb && this.slots.length < this.rows.length) this.slots.push(mb.create(1, 0, { row: this.slots.length }));
  }

  private hold(draw: () => void): void {
    this.holding++;
    try {
      draw();
    } finally {
      this.holding--;
      if (this.holding === 0) this.flush();
    }
  }

  private flush(): void {
    if (!this.held) return;
    const text = this.held;
    this.held = '';
    this.stream.write(text);
  }
}
