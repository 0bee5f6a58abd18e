/* global URLSearchParams */
// The jobs page of `bulk serve`: plain DOM and ES modules, no framework, no build. This module
// holds the jobs table, the token form and the live connection; api.js speaks to the server,
// format.js words the numbers, overview.js draws the header (from the server), runs.js lists the
// runs (one per upload), detail.js shows one job. Live updates
// come from the server-wide stream GET /api/jobs/events/ (see api.js for why not EventSource).

import { api, AuthError, authHeaders, readEvents, setToken, silenceMsOf, token } from './api.js';
import { duration, FINAL, n, rate, shortId, shortTime, sourceText } from './format.js';
import { closeDetail, detailId, initDetail, loadDetailData, openDetail, renderDetail } from './detail.js';
import { $, el } from './dom.js';
import { refreshOverview } from './overview.js';
import { clearRuns, initRuns, loadRuns, runsChanged } from './runs.js';

const LIST_LIMIT = 200;

/** @type {Map<string, any>} */
const jobs = new Map();
/** @type {Map<string, { tr: HTMLTableRowElement, c: Record<string, any> }>} */
const rows = new Map();
let filter = '';
/** @type {string | null} showing only the jobs of this run */
let runFilter = null;
/** @type {string | null} the cursor of the next older page of jobs */
let olderJobs = null;
/** @type {AbortController | null} */
let streamCtrl = null;
let retryDelay = 1000;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let retryTimer;

// ---- connection state -------------------------------------------------------------------------

/** @param {string} state @param {string} text */
function setConnection(state, text) {
  const p = $('connection');
  p.dataset.state = state;
  if (p.textContent !== text) p.textContent = text;
}

// ---- the jobs table ---------------------------------------------------------------------------

/** Is `b` at least as new as `a`? The list and the stream can cross; never go back. */
function newer(a, b) {
  if (!a) return true;
  if (FINAL.has(a.state)) return FINAL.has(b.state);
  if (FINAL.has(b.state)) return true;
  return b.processed_items >= a.processed_items;
}

/** @param {any} job @param {boolean} [live] heard on the events stream */
function upsert(job, live = false) {
  if (!job || typeof job.job_id !== 'string') return;
  const had = jobs.get(job.job_id);
  if (!newer(had, job)) return;
  if (job.run_id && live) runsChanged();
  if (live) overviewDue = true;
  // The server-wide stream and the list carry no errors; keep the first ones a status gave.
  if (had && job.errors == null && had.errors) job.errors = had.errors;
  jobs.set(job.job_id, job);
  renderRow(job);
  if (detailId() === job.job_id) {
    const becameFinal = FINAL.has(job.state) && !(had && FINAL.has(had.state));
    renderDetail();
    if (becameFinal) void loadDetailData();
  }
}

function makeRow(job) {
  const cell = (label, cls = '') => el('td', { 'data-label': label, class: cls });
  const c = {
    resource: cell('Resource'),
    type: cell('Type'),
    state: cell('State', 'state'),
    progress: cell('Progress'),
    counts: cell('Counts', 'num'),
    rate: cell('Rows/s', 'num'),
    started: cell('Started'),
    duration: cell('Duration', 'num'),
    actions: cell('Actions'),
  };
  // Stored and failed rows as two segments of one bar: a job that rejected rows never looks clean.
  c.ok = el('span', { class: 'ok' });
  c.bad = el('span', { class: 'bad' });
  c.bar = el('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100' }, c.ok, c.bad);
  c.barLabel = el('span', { class: 'pct' });
  c.progress.append(c.bar, c.barLabel);
  c.resourceName = el('span', { class: 'resource' });
  c.source = el('span', { class: 'source' });
  c.resource.append(c.resourceName, c.source);
  c.stateName = el('span');
  c.badge = el('span', { class: 'badge' });
  c.state.append(c.stateName, c.badge);
  c.startedAt = el('span');
  c.node = el('span', { class: 'node' });
  c.started.append(c.startedAt, c.node);
  c.details = el('button', { type: 'button', text: 'Details', on: { click: () => void openDetail(job.job_id) } });
  c.abort = el('button', {
    type: 'button',
    text: 'Abort',
    on: { click: (e) => void abortJob(job.job_id, e.currentTarget) },
  });
  c.actions.append(c.details, ' ', c.abort);
  const tr = el('tr', { 'data-job-id': job.job_id });
  tr.append(c.resource, c.type, c.state, c.progress, c.counts, c.rate, c.started, c.duration, c.actions);
  return { tr, c };
}

function renderRow(job) {
  let row = rows.get(job.job_id);
  if (!row) {
    row = makeRow(job);
    rows.set(job.job_id, row);
    // Newest first: insert before the first row that is older; existing rows never move (focus stays).
    const body = $('jobs-body');
    let before = null;
    for (const tr of body.children) {
      const other = jobs.get(tr.dataset.jobId);
      // Times have whole seconds: of two jobs made in the same second, the one heard of later is newer.
      if (other && other.created_at <= job.created_at) {
        before = tr;
        break;
      }
    }
    body.insertBefore(row.tr, before);
  }
  const { c, tr } = row;
  const who = `${job.resource} job ${shortId(job.job_id)}`;
  c.resourceName.textContent = job.resource ?? '';
  c.source.textContent = sourceText(job);
  c.source.hidden = c.source.textContent === '';
  c.type.textContent = job.job_type;
  c.stateName.textContent = job.state;
  const failed = job.error_count ?? 0;
  c.badge.textContent = failed ? `${n(failed)} failed` : '';
  c.badge.hidden = !failed;
  tr.classList.toggle('has-failures', failed > 0);
  const total = Math.max(1, job.total_items ?? 0);
  c.ok.style.width = `${(100 * (job.success_count ?? 0)) / total}%`;
  c.bad.style.width = `${(100 * failed) / total}%`;
  c.bar.setAttribute('aria-valuenow', String(job.percentage ?? 0));
  c.bar.setAttribute('aria-valuetext', `${job.percentage ?? 0}%: ${n(job.success_count)} stored, ${n(failed)} failed`);
  c.bar.setAttribute('aria-label', `Progress of ${who}`);
  c.barLabel.textContent = `${job.percentage ?? 0}%`;
  c.counts.textContent = `${n(job.processed_items)} / ${n(job.total_items)} · ${n(job.success_count)} stored · ${n(failed)} rejected`;
  c.rate.textContent = rate(job);
  c.startedAt.replaceChildren(
    job.started_at
      ? el('time', { datetime: job.started_at, title: job.started_at, text: shortTime(job.started_at) })
      : 'not yet',
  );
  c.node.textContent = job.node ? `on ${job.node}` : '';
  c.node.hidden = !job.node;
  c.duration.textContent = duration(job);
  c.details.setAttribute('aria-label', `Details of ${who}`);
  c.abort.setAttribute('aria-label', `Abort ${who}`);
  const final = FINAL.has(job.state);
  if (final && !c.abort.hidden) {
    if (document.activeElement === c.abort) c.details.focus();
    c.abort.hidden = true;
  }
  tr.hidden = !shown(job);
  updateEmpty();
}

/** @param {any} job */
function shown(job) {
  return (filter === '' || job.state === filter) && (runFilter === null || job.run_id === runFilter);
}

function refilter() {
  for (const [id, row] of rows) row.tr.hidden = !shown(jobs.get(id));
  updateEmpty();
}

function updateEmpty() {
  const visible = [...rows.values()].some((r) => !r.tr.hidden);
  $('jobs-empty').hidden = visible;
  $('jobs-table').hidden = !visible;
}

function clearJobs() {
  jobs.clear();
  rows.clear();
  $('jobs-body').replaceChildren();
  clearRuns();
  closeDetail();
}

async function loadList(state = '') {
  const q = new URLSearchParams({ limit: String(LIST_LIMIT) });
  if (state) q.set('state', state);
  const { status, body } = await api(`/api/jobs/?${q}`);
  if (status !== 200 || !body || !Array.isArray(body.jobs)) throw new Error(`the job list answered ${status}`);
  // Oldest first, so that each job lands above the ones made before it.
  for (const job of [...body.jobs].reverse()) upsert(job, false);
  if (!state) olderJobs = body.next ?? null;
  $('jobs-older').hidden = !olderJobs || runFilter !== null;
  updateEmpty();
}

/** The next page of older jobs (the list's `next` cursor): below the ones shown. */
async function loadOlderJobs() {
  if (!olderJobs) return;
  const q = new URLSearchParams({ limit: String(LIST_LIMIT), before: olderJobs });
  const { status, body } = await api(`/api/jobs/?${q}`);
  if (status !== 200 || !body || !Array.isArray(body.jobs)) return;
  for (const job of [...body.jobs].reverse()) upsert(job, false);
  olderJobs = body.next ?? null;
  $('jobs-older').hidden = !olderJobs;
}

/** Opens a run into its jobs: every page of them, and the table shows only those. @param {string} runId */
async function openRunJobs(runId) {
  runFilter = runId;
  $('run-filter-id').textContent = runId;
  $('run-filter').hidden = false;
  $('jobs-older').hidden = true;
  refilter();
  let after = '';
  // Bounded: a page of 500 each time, and the last has no next.
  for (let page = 0; page < 100; page++) {
    const q = new URLSearchParams({ limit: '500' });
    if (after) q.set('after', after);
    const { status, body } = await api(`/api/runs/${encodeURIComponent(runId)}/jobs/?${q}`);
    if (status !== 200 || !body || !Array.isArray(body.jobs)) break;
    for (const job of body.jobs) upsert(job, false);
    if (!body.next) break;
    after = body.next;
  }
  refilter();
  $('jobs-title').scrollIntoView({ block: 'start' });
}

// The header comes from the server: within a second of a change the stream reports, else every 5 s.
let overviewDue = true;
let overviewAt = 0;
setInterval(() => {
  if (!overviewDue && Date.now() - overviewAt < 5000) return;
  overviewDue = false;
  overviewAt = Date.now();
  void refreshOverview($('overview')).catch(() => undefined);
}, 1000);

// Running jobs' durations and rates move with the clock.
setInterval(() => {
  for (const [id, row] of rows) {
    const job = jobs.get(id);
    if (job && job.started_at && !FINAL.has(job.state)) {
      row.c.duration.textContent = duration(job);
      row.c.rate.textContent = rate(job);
    }
  }
}, 1000);

// ---- abort ------------------------------------------------------------------------------------

async function abortJob(id, button) {
  const job = jobs.get(id);
  if (!job) return;
  if (button) button.disabled = true;
  try {
    const { status, body } = await api(job.abort_url, { method: 'POST' });
    if (status === 202) upsert(body);
    else showMessage(body?.error ?? `Abort answered ${status}`);
  } catch (err) {
    if (err instanceof AuthError) return needToken('That token was refused.');
    showMessage(`Abort failed: ${err.message}`);
  } finally {
    if (button) button.disabled = false;
  }
}

function showMessage(text) {
  $('notice').textContent = text;
  if (detailId()) $('detail-message').textContent = text;
}

// ---- the live stream --------------------------------------------------------------------------

async function connect() {
  clearTimeout(retryTimer);
  streamCtrl?.abort();
  const ctrl = new AbortController();
  streamCtrl = ctrl;
  setConnection('connecting', 'Connecting…');
  try {
    const res = await fetch('/api/jobs/events/', {
      headers: { accept: 'text/event-stream', ...authHeaders() },
      signal: ctrl.signal,
      cache: 'no-store',
      credentials: 'omit',
    });
    if (res.status === 401) throw new AuthError('token refused');
    if (!res.ok || !res.body) throw new Error(`the stream answered ${res.status}`);
    showJobs();
    // The stream is open before the list is read, so no change falls between the two.
    await loadList(filter);
    await loadRuns();
    void refreshOverview($('overview')).catch(() => undefined);
    if (detailId()) {
      renderDetail();
      void loadDetailData();
    }
    setConnection('connected', 'Live: connected to the server.');
    retryDelay = 1000;
    await readEvents(
      res.body,
      (data) => {
        try {
          upsert(JSON.parse(data), true);
        } catch {
          // One bad event does not end the stream.
        }
      },
      ctrl.signal,
      () => streamCtrl?.abort(),
      silenceMsOf(res.headers.get('x-heartbeat-ms')),
    );
  } catch (err) {
    if (err instanceof AuthError) return needToken(token() ? 'That token was refused.' : '');
  }
  if (streamCtrl !== ctrl) return;
  const wait = retryDelay;
  retryDelay = Math.min(retryDelay * 2, 10_000);
  setConnection('disconnected', `Disconnected from the server. Reconnecting in ${Math.round(wait / 1000)} s…`);
  retryTimer = setTimeout(() => void connect(), wait);
}

// ---- token ------------------------------------------------------------------------------------

function showJobs() {
  $('login').hidden = true;
  $('jobs').hidden = false;
  $('runs').hidden = false;
  $('forget-token').hidden = !token();
}

function needToken(message) {
  clearTimeout(retryTimer);
  const ctrl = streamCtrl;
  streamCtrl = null;
  ctrl?.abort();
  if (token() && message) setToken(null);
  clearJobs();
  $('jobs').hidden = true;
  $('runs').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
  setConnection('disconnected', 'Not connected: this server needs a token.');
  $('token').focus();
}

$('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = $('token');
  const value = input.value.trim();
  input.value = '';
  if (!value) return;
  setToken(value);
  $('login-error').textContent = '';
  initDetail({ jobs, rows, onAuthError: () => needToken('That token was refused.'), abortJob });

  void connect();
});

$('forget-token').addEventListener('click', () => {
  setToken(null);
  needToken('');
});

$('state-filter').addEventListener('change', (e) => {
  filter = e.currentTarget.value;
  refilter();
  // Older jobs in that state than the newest few hundred.
  if (filter) void loadList(filter).catch(() => undefined);
});

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && detailId()) closeDetail();
});

initDetail({ jobs, rows, onAuthError: () => needToken('That token was refused.'), abortJob });
initRuns({
  openJobs: (runId) => void openRunJobs(runId),
  onAuthError: () => needToken('That token was refused.'),
  message: showMessage,
});
$('jobs-older').addEventListener('click', () => void loadOlderJobs());
$('run-filter-clear').addEventListener('click', () => {
  runFilter = null;
  $('run-filter').hidden = true;
  $('jobs-older').hidden = !olderJobs;
  refilter();
});

void connect();
