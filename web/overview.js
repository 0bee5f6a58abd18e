// The header an operator reads at a glance: jobs by state, rows stored and failed in the last
// hour, rows/s now, and a small live chart of throughput over the last minutes, drawn as inline
// SVG from the server-wide events (the change in each job's processed rows between events).

import { FINAL, n } from './format.js';

const BUCKET_MS = 5_000;
const BUCKETS = 60; // five minutes
const NOW_WINDOW_MS = 10_000;
const HOUR_MS = 3_600_000;
const STATES = ['Open', 'In Progress', 'Job Complete', 'Failed', 'Aborted'];
const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 300;
const HEIGHT = 60;

/** @type {Map<string, number>} processed rows last heard, per job */
const lastProcessed = new Map();
/** @type {{ at: number, rows: number }[]} rows processed, per 5 s bucket start */
const buckets = [];

/**
 * Notes what a status says moved since the last one for that job. The first time a job is heard
 * of, nothing is counted: its rows were processed before the page was watching.
 * @param {any} job
 * @param {boolean} live from the events stream (not from the list)
 * @param {number} [nowMs]
 */
export function noteProgress(job, live, nowMs = Date.now()) {
  const before = lastProcessed.get(job.job_id);
  lastProcessed.set(job.job_id, job.processed_items ?? 0);
  if (!live || before === undefined) return;
  const delta = (job.processed_items ?? 0) - before;
  if (delta <= 0) return;
  const at = nowMs - (nowMs % BUCKET_MS);
  const last = buckets.at(-1);
  if (last && last.at === at) last.rows += delta;
  else buckets.push({ at, rows: delta });
  while (buckets.length > 0 && (buckets[0]?.at ?? 0) < at - BUCKET_MS * BUCKETS) buckets.shift();
}

/** Rows per second over the last few seconds. @param {number} nowMs */
export function rowsPerSecondNow(nowMs) {
  let rows = 0;
  for (const b of buckets) if (b.at + BUCKET_MS > nowMs - NOW_WINDOW_MS) rows += b.rows;
  return Math.round(rows / (NOW_WINDOW_MS / 1000));
}

/**
 * @param {Iterable<any>} jobs
 * @param {number} nowMs
 */
export function overviewFacts(jobs, nowMs) {
  /** @type {Record<string, number>} */
  const byState = Object.fromEntries(STATES.map((s) => [s, 0]));
  let stored = 0;
  let failed = 0;
  for (const j of jobs) {
    byState[j.state] = (byState[j.state] ?? 0) + 1;
    const when = Date.parse(FINAL.has(j.state) ? (j.completed_at ?? j.updated_at) : (j.updated_at ?? j.created_at));
    if (Number.isFinite(when) && nowMs - when <= HOUR_MS) {
      stored += j.success_count ?? 0;
      failed += j.error_count ?? 0;
    }
  }
  return { byState, stored, failed, rowsPerSecond: rowsPerSecondNow(nowMs) };
}

/** @param {HTMLElement} root @param {Iterable<any>} jobs @param {number} [nowMs] */
export function renderOverview(root, jobs, nowMs = Date.now()) {
  const f = overviewFacts(jobs, nowMs);
  const stat = (/** @type {string} */ key, /** @type {string} */ label, /** @type {string} */ value, cls = '') => {
    let dd = /** @type {HTMLElement | null} */ (root.querySelector(`[data-stat="${key}"]`));
    if (!dd) {
      const dt = document.createElement('dt');
      dt.textContent = label;
      dd = document.createElement('dd');
      dd.dataset.stat = key;
      const box = document.createElement('div');
      box.className = 'stat';
      box.append(dt, dd);
      root.querySelector('dl')?.append(box);
    }
    dd.parentElement?.classList.toggle('bad', cls === 'bad');
    if (dd.textContent !== value) dd.textContent = value;
  };
  stat('running', 'Running', n((f.byState['In Progress'] ?? 0) + (f.byState.Open ?? 0)));
  stat('complete', 'Complete', n(f.byState['Job Complete']));
  stat(
    'failed-jobs',
    'Failed / aborted',
    n((f.byState.Failed ?? 0) + (f.byState.Aborted ?? 0)),
    (f.byState.Failed ?? 0) + (f.byState.Aborted ?? 0) ? 'bad' : '',
  );
  stat('stored-hour', 'Rows stored, last hour', n(f.stored));
  stat('failed-hour', 'Rows failed, last hour', n(f.failed), f.failed ? 'bad' : '');
  stat('rate-now', 'Rows/s now', n(f.rowsPerSecond));
  drawChart(/** @type {SVGSVGElement} */ (root.querySelector('svg')), nowMs);
}

/** Bars of rows/s per 5 s over the last five minutes; the newest on the right. @param {SVGSVGElement | null} svg @param {number} nowMs */
function drawChart(svg, nowMs) {
  if (!svg) return;
  const end = nowMs - (nowMs % BUCKET_MS);
  const values = [];
  for (let i = BUCKETS - 1; i >= 0; i--) {
    const at = end - i * BUCKET_MS;
    values.push((buckets.find((b) => b.at === at)?.rows ?? 0) / (BUCKET_MS / 1000));
  }
  const max = Math.max(1, ...values);
  const w = WIDTH / BUCKETS;
  const bars = values.map((v, i) => {
    const h = v > 0 ? Math.max(1, (v / max) * (HEIGHT - 2)) : 0;
    const rect = document.createElementNS(SVG, 'rect');
    rect.setAttribute('x', (i * w).toFixed(2));
    rect.setAttribute('y', (HEIGHT - h).toFixed(2));
    rect.setAttribute('width', (w * 0.8).toFixed(2));
    rect.setAttribute('height', h.toFixed(2));
    return rect;
  });
  const axis = document.createElementNS(SVG, 'line');
  for (const [k, v] of [
    ['x1', '0'],
    ['x2', String(WIDTH)],
    ['y1', String(HEIGHT - 0.5)],
    ['y2', String(HEIGHT - 0.5)],
  ])
    axis.setAttribute(k, v);
  axis.setAttribute('class', 'axis');
  svg.replaceChildren(axis, ...bars);
  svg.setAttribute(
    'aria-label',
    `Rows per second over the last 5 minutes; the most recent ${n(Math.round(values.at(-1) ?? 0))}, the highest ${n(Math.round(max))}`,
  );
  svg.dataset.max = String(Math.round(max));
}
