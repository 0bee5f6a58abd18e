// The header an operator reads at a glance: jobs by state, rows stored and failed in the last
// hour, rows/s now, and a small chart of throughput over the last minutes, drawn as inline SVG.
// Everything comes from the server (GET /api/overview/), not from the jobs this page loaded, so it
// is right whatever the list shows and the chart survives a reload.

import { api } from './api.js';
import { n } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 300;
const HEIGHT = 60;

/** @type {any} the server's last answer */
let facts = null;

/** Asks the server again and redraws. @param {HTMLElement} root */
export async function refreshOverview(root) {
  const { status, body } = await api('/api/overview/');
  if (status !== 200 || !body || !body.jobs_by_state || !body.rate) return;
  facts = body;
  renderOverview(root);
}

/** @param {HTMLElement} root */
export function renderOverview(root) {
  if (!facts) return;
  const s = facts.jobs_by_state;
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
  const ended = (s.Failed ?? 0) + (s.Aborted ?? 0);
  const rows = /** @type {number[]} */ (facts.rate.rows);
  const bucket = facts.rate.bucket_seconds || 5;
  // The last whole bucket and the one filling now, so "now" is neither empty nor stale.
  const recent = (rows.at(-1) ?? 0) + (rows.at(-2) ?? 0);
  stat('running', 'Running', n((s['In Progress'] ?? 0) + (s.Open ?? 0)));
  stat('complete', 'Complete', n(s['Job Complete']));
  stat('failed-jobs', 'Failed / aborted', n(ended), ended ? 'bad' : '');
  stat('stored-hour', 'Rows stored, last hour', n(facts.last_hour.stored));
  stat('failed-hour', 'Rows failed, last hour', n(facts.last_hour.failed), facts.last_hour.failed ? 'bad' : '');
  stat('rate-now', 'Rows/s now', n(Math.round(recent / (2 * bucket))));
  drawChart(
    /** @type {SVGSVGElement} */ (root.querySelector('svg')),
    rows.map((r) => r / bucket),
  );
}

/** Bars of rows/s per bucket over the last five minutes; the newest on the right. @param {SVGSVGElement | null} svg @param {number[]} values */
function drawChart(svg, values) {
  if (!svg) return;
  const max = Math.max(1, ...values);
  const w = WIDTH / Math.max(1, values.length);
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
