// How the page words numbers, times and a job's origin. Pure functions of a status object.

export const FINAL = new Set(['Job Complete', 'Failed', 'Aborted']);

/** @param {unknown} x */
export const n = (x) => Number(x ?? 0).toLocaleString('en');
/** @param {string | null | undefined} iso */
export const shortTime = (iso) => (iso ? new Date(iso).toLocaleTimeString('en-GB') : '—');
/** @param {string} id */
export const shortId = (id) => id.slice(0, 8);

/**
 * Seconds between two ISO times (the server writes whole seconds), or until now.
 * @param {string | null | undefined} from
 * @param {string | null | undefined} to
 */
export function seconds(from, to) {
  if (!from) return null;
  const end = to ? Date.parse(to) : Date.now();
  return Math.max(0, (end - Date.parse(from)) / 1000);
}

/** @param {any} j a status response */
function elapsed(j) {
  return seconds(j.started_at, FINAL.has(j.state) ? j.completed_at : null);
}

/** `42 s`, `3 min 5 s`; a job that ran within one second of the clock says so. @param {any} j */
export function duration(j) {
  const s = elapsed(j);
  if (s === null) return '—';
  if (s < 1) return FINAL.has(j.state) ? 'under 1 s' : '0 s';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/**
 * Rows per second over the job's run. Times have whole seconds, so a job done within one shows
 * its rows as a lower bound (`≥ 5,000`) rather than nothing.
 * @param {any} j
 */
export function rate(j) {
  const s = elapsed(j);
  if (s === null || !j.processed_items) return '—';
  if (s < 1) return FINAL.has(j.state) ? `≥ ${n(j.processed_items)}` : '—';
  return n(Math.round(j.processed_items / s));
}

/**
 * Where a job's rows came from, when the client said (`source` (ext)): `transactions.csv:2–5001`.
 * @param {any} j
 */
export function sourceText(j) {
  const s = j.source;
  if (!s || typeof s.file !== 'string') return '';
  const name = s.file.split(/[\\/]/).pop();
  return Number.isFinite(s.first_line) && Number.isFinite(s.last_line)
    ? `${name}:${s.first_line}–${s.last_line}`
    : name;
}

/**
 * Where a job's item came from: `transactions.csv:101` when the job's line range holds one line
 * per item (as the server places it, see docs/protocol.md), else its 0-based index in the job.
 * @param {any} j a status response
 * @param {number} index
 */
export function itemPlace(j, index) {
  const s = j.source;
  if (s && Number.isFinite(s.first_line) && s.last_line - s.first_line + 1 === j.total_items)
    return `${String(s.file).split(/[\\/]/).pop()}:${s.first_line + index}`;
  return String(index);
}
