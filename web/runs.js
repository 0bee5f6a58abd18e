// The runs table: one row per upload (the jobs one `bulk upload` started, grouped by the server
// from their Bulk-Run header), with its files, progress across its jobs, rows/s, failures by
// reason with file:line, and Abort for the whole run. Totals come from the server (/api/runs/),
// refreshed when the live stream says one of its jobs changed; older runs load a page at a time.

import { api, AuthError } from './api.js';
import { n } from './format.js';
import { $, el } from './dom.js';

const PAGE = 20;
const REASONS_SHOWN = 3;

/** @type {Map<string, { view: any, tr: HTMLTableRowElement, c: Record<string, any>, reasonsFor: number }>} */
const runs = new Map();
/** @type {string | null} the cursor of the next older page */
let older = null;
let due = false;
let busy = false;
/** @type {{ openJobs: (runId: string) => void, onAuthError: () => void, message: (text: string) => void }} */
let hooks = { openJobs: () => undefined, onAuthError: () => undefined, message: () => undefined };

/** @param {typeof hooks} h */
export function initRuns(h) {
  hooks = h;
  $('runs-older').addEventListener('click', () => void loadOlderRuns());
}

export function clearRuns() {
  runs.clear();
  older = null;
  $('runs-body').replaceChildren();
}

/** A job of some run changed: the runs are read again within a second. */
export function runsChanged() {
  due = true;
}

setInterval(() => {
  if (due && !busy && !$('runs').hidden) void loadRuns();
}, 1000);

/** Rows per second over the run so far (first job made to last change). @param {any} r */
function runRate(r) {
  const s = (Date.parse(r.last_at) - Date.parse(r.first_at)) / 1000;
  if (!r.processed_items) return '—';
  if (!(s >= 1)) return r.state === 'running' ? '—' : `≥ ${n(r.processed_items)}`;
  return n(Math.round(r.processed_items / s));
}

function makeRow(view) {
  const cell = (label, cls = '') => el('td', { 'data-label': label, class: cls });
  const c = {
    file: cell('File'),
    state: cell('State', 'state'),
    progress: cell('Progress'),
    counts: cell('Counts', 'num'),
    rate: cell('Rows/s', 'num'),
    failures: cell('Failures'),
    actions: cell('Actions'),
  };
  c.name = el('span', { class: 'resource' });
  c.id = el('span', { class: 'source' });
  c.file.append(c.name, c.id);
  c.ok = el('span', { class: 'ok' });
  c.bad = el('span', { class: 'bad' });
  c.bar = el('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100' }, c.ok, c.bad);
  c.pct = el('span', { class: 'pct' });
  c.progress.append(c.bar, c.pct);
  c.reasons = el('ul', { class: 'reasons' });
  c.failures.append(c.reasons);
  c.jobs = el('button', { type: 'button', text: 'Jobs', on: { click: () => hooks.openJobs(view.run_id) } });
  c.abort = el('button', {
    type: 'button',
    text: 'Abort run',
    on: { click: (e) => void abortRun(view.run_id, e.currentTarget) },
  });
  c.actions.append(c.jobs, ' ', c.abort);
  const tr = el('tr', { 'data-run-id': view.run_id });
  tr.append(c.file, c.state, c.progress, c.counts, c.rate, c.failures, c.actions);
  return { tr, c };
}

/** @param {any} view @param {boolean} atEnd an older page: below every row */
function upsertRun(view, atEnd) {
  let run = runs.get(view.run_id);
  if (!run) {
    run = { view, ...makeRow(view), reasonsFor: -1 };
    runs.set(view.run_id, run);
    const body = $('runs-body');
    // Newest first: above the first row that started earlier; a row never moves once placed.
    let before = null;
    if (!atEnd)
      for (const tr of body.children) {
        const other = runs.get(tr.dataset.runId)?.view;
        if (other && other.first_at <= view.first_at) {
          before = tr;
          break;
        }
      }
    body.insertBefore(run.tr, before);
  }
  run.view = view;
  const { c } = run;
  const files = view.files.length ? view.files.join(', ') : '(no file named)';
  const who = `run ${view.run_id} (${files})`;
  c.name.textContent = files;
  c.id.textContent = `run ${view.run_id} · ${n(view.jobs)} ${view.jobs === 1 ? 'job' : 'jobs'}`;
  c.state.textContent = view.state;
  run.tr.classList.toggle('has-failures', view.error_count > 0);
  const total = Math.max(1, view.total_items);
  const pct = Math.floor((100 * view.processed_items) / total);
  c.ok.style.width = `${(100 * view.success_count) / total}%`;
  c.bad.style.width = `${(100 * view.error_count) / total}%`;
  c.bar.setAttribute('aria-valuenow', String(pct));
  c.bar.setAttribute('aria-valuetext', `${pct}%: ${n(view.success_count)} stored, ${n(view.error_count)} failed`);
  c.bar.setAttribute('aria-label', `Progress of ${who}`);
  c.pct.textContent = `${pct}%`;
  c.counts.textContent = `${n(view.processed_items)} / ${n(view.total_items)} · ${n(view.success_count)} stored · ${n(view.error_count)} rejected`;
  c.rate.textContent = runRate(view);
  c.jobs.setAttribute('aria-label', `Jobs of ${who}`);
  c.abort.setAttribute('aria-label', `Abort ${who}`);
  if (view.state !== 'running' && !c.abort.hidden) {
    if (document.activeElement === c.abort) c.jobs.focus();
    c.abort.hidden = true;
  }
  if (view.error_count === 0) c.reasons.replaceChildren();
  else if (run.reasonsFor !== view.error_count) void loadReasons(view.run_id, view.error_count);
}

/** Failures by reason, each with the first row's file:line (GET /api/runs/{id}/). */
async function loadReasons(runId, errorCount) {
  const run = runs.get(runId);
  if (!run) return;
  run.reasonsFor = errorCount;
  const { status, body } = await api(run.view.run_url);
  if (status !== 200 || !body || !Array.isArray(body.reasons)) return;
  const items = body.reasons.slice(0, REASONS_SHOWN).map((/** @type {any} */ g) => {
    const where = g.first?.file
      ? ` (${g.first.file}:${g.first.line ?? `${g.first.first_line}–${g.first.last_line}`})`
      : '';
    return el('li', { text: `${n(g.count)} × ${g.field ? `${g.field}: ` : ''}${g.error}${where}` });
  });
  if (body.reasons.length > REASONS_SHOWN)
    items.push(el('li', { text: `and ${body.reasons.length - REASONS_SHOWN} more reasons` }));
  run.c.reasons.replaceChildren(...items);
}

function updateEmpty() {
  const any = runs.size > 0;
  $('runs-empty').hidden = any;
  $('runs-table').hidden = !any;
  $('runs-older').hidden = !older;
}

/** The newest page again: new runs appear, the rows shown get the server's totals. */
export async function loadRuns() {
  busy = true;
  due = false;
  try {
    const { status, body } = await api(`/api/runs/?limit=${PAGE}`);
    if (status !== 200 || !body || !Array.isArray(body.runs)) return;
    for (const view of [...body.runs].reverse()) upsertRun(view, false);
    if (older === null || runs.size <= PAGE) older = body.next;
    updateEmpty();
  } catch (err) {
    if (err instanceof AuthError) hooks.onAuthError();
  } finally {
    busy = false;
  }
}

async function loadOlderRuns() {
  if (!older) return;
  const { status, body } = await api(`/api/runs/?limit=${PAGE}&before=${encodeURIComponent(older)}`);
  if (status !== 200 || !body || !Array.isArray(body.runs)) return;
  for (const view of body.runs) upsertRun(view, true);
  older = body.next;
  updateEmpty();
}

async function abortRun(runId, button) {
  const run = runs.get(runId);
  if (!run) return;
  if (button) button.disabled = true;
  try {
    const { status, body } = await api(run.view.abort_url, { method: 'POST' });
    if (status === 202 && body?.run) upsertRun(body.run, false);
    else hooks.message(body?.error ?? `Abort answered ${status}`);
    runsChanged();
  } catch (err) {
    if (err instanceof AuthError) return hooks.onAuthError();
    hooks.message(`Abort failed: ${err.message}`);
  } finally {
    if (button) button.disabled = false;
  }
}
