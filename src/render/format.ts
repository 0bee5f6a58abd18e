import type { MappedRowError } from '../upload/upload-events.js';
import { formatAggregates } from '../upload/combine-aggregates.js';

export { formatAggregates };

/** `850ms`, `5.6s`, `42s`, `1m 33s`, `2h 05m`. */
export function humanMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  return humanSeconds(Math.round(ms / 1000));
}

/** An ETA or elapsed time in whole seconds: `0s`, `42s`, `1m 33s`, `2h 05m`. */
export function humanSeconds(totalSeconds: number): string {
  if (!Number.isFinite(totalSeconds) || totalSeconds < 0) return '-';
  const s = Math.round(totalSeconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** `1234567` → `1,234,567`. */
export function groupDigits(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** The first 8 characters of a job id: enough to tell jobs apart on screen. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** `transactions.csv:2417 amount: must be a decimal number` */
export function errorLine(e: MappedRowError): string {
  return `${e.file}:${e.line} ${e.field ? `${e.field}: ` : ''}${e.reason}`;
}

/** Plain output is ASCII where we choose the characters. */
export function asciiPunctuation(text: string): string {
  return text.replace(/…/g, '...').replace(/[–—]/g, '-').replace(/→/g, '->');
}

// eslint-disable-next-line no-control-regex -- matching terminal escape codes is the point
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/y;

/**
 * Cuts a line to `width` visible characters, ANSI codes kept intact, with `…` where it was cut.
 * Bars must never wrap: cli-progress moves the cursor up one line per bar.
 */
export function fitWidth(text: string, width: number): string {
  if (width <= 1) return text;
  let visible = 0;
  let out = '';
  let styled = false;
  for (let i = 0; i < text.length; ) {
    ANSI.lastIndex = i;
    const m = ANSI.exec(text);
    if (m) {
      out += m[0];
      styled = true;
      i += m[0].length;
      continue;
    }
    if (visible === width - 1 && hasVisibleAfter(text, i + 1)) return `${out}…${styled ? '\x1b[0m' : ''}`;
    out += text[i];
    visible++;
    i++;
  }
  return out;
}

function hasVisibleAfter(text: string, from: number): boolean {
  for (let i = from; i < text.length; ) {
    ANSI.lastIndex = i;
    const m = ANSI.exec(text);
    if (!m) return true;
    i += m[0].length;
  }
  return false;
}

/** Width of a line on screen, escape codes left out. */
export function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex -- measuring text without its escape codes
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').length;
}

/**
 * Wraps plain text (no ANSI) to `width` columns at spaces; continuation lines start with `indent`.
 * A word longer than a line is cut. Lines above the bars are wrapped rather than cut, so an error
 * reason is never lost off the right edge.
 */
export function wrapText(text: string, width: number, indent = '    '): string[] {
  if (width < indent.length + 10 || text.length <= width) return [text];
  const lines: string[] = [];
  let rest = text;
  let prefix = '';
  while (prefix.length + rest.length > width) {
    const room = width - prefix.length;
    let cut = rest.lastIndexOf(' ', room);
    if (cut <= 0) cut = room;
    lines.push(prefix + rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
    prefix = indent;
  }
  if (rest) lines.push(prefix + rest);
  return lines;
}
