/** `7d`, `12h`, `30m`, `45s`, or a bare number of seconds, into milliseconds. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(d|h|m|s|ms)?$/i.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  const factor = unit === 'd' ? 86_400_000 : unit === 'h' ? 3_600_000 : unit === 'm' ? 60_000 : unit === 'ms' ? 1 : 1000;
  return Math.round(n * factor);
}

export const DEFAULT_RETENTION_MS = 7 * 86_400_000;
