// The detail view of one job: its facts, its aggregates (with their exact digits) and its record
// errors, paged. app.js opens it from a row and tells it when the job changes.

import { api, AuthError, authHeaders } from './api.js';
import { $, el } from './dom.js';
import { duration, FINAL, n, rate, shortId, sourceText, itemPlace } from './format.js';

export const ERRORS_PAGE = 50;

/** @type {{ jobs: Map<string, any>, rows: Map<string, any>, onAuthError: () => void, abortJob: (id: string, button: any) => Promise<void> }} */
let ctx;
/** @type {string | null} */
let current = null;
let errorsOffset = 0;
let errorsTotal = 0;

/** @param {typeof ctx} context */
export function initDetail(context) {
  ctx = context;
  $('detail-close').addEventListener('click', closeDetail);
  $('detail-abort').addEventListener('click', (/** @type {any} */ e) => void ctx.abortJob(current, e.currentTarget));
  $('errors-prev').addEventListener('click', () => void pageErrors(-ERRORS_PAGE));
  $('errors-next').addEventListener('click', () => void pageErrors(ERRORS_PAGE));
}

/** The job shown, if any. */
export const detailId = () => current;

export async function openDetail(id) {
  current = id;
  errorsOffset = 0;
  $('detail-message').textContent = '';
  $('detail-aggregates').replaceChildren(el('p', { text: 'Not ready yet.' }));
  $('detail').hidden = false;
  renderDetail();
  $('detail-title').focus();
  await loadDetailData();
}

export function closeDetail() {
  const id = current;
  current = null;
  $('detail').hidden = true;
  const row = id && ctx.rows.get(id);
  if (row && document.activeElement && $('detail').contains(document.activeElement)) row.c.details.focus();
}

export function renderDetail() {
  const job = ctx.jobs.get(current);
  if (!job) return;
  $('detail-title').textContent = `${job.resource} job ${shortId(job.job_id)}: ${job.state}`;
  const facts = [
    ['Job id', job.job_id],
    ['Resource', job.resource],
    ['Type', job.job_type],
    ['State', job.state],
    ['Message', job.message],
    ['Processed', `${n(job.processed_items)} of ${n(job.total_items)} (${job.percentage}%)`],
    ['Stored', n(job.success_count)],
    ['Rejected', n(job.error_count)],
    ['Created', job.created_at],
    ['Started', job.started_at ?? 'not yet'],
    ['Finished', job.completed_at ?? 'not yet'],
    ['Duration', duration(job)],
    ['Rows/s', rate(job)],
    ...(sourceText(job) ? [['From', sourceText(job)]] : []),
    ...(job.node ? [['Node', job.node]] : []),
  ];
  for (const e of job.errors ?? [])
    if (e && typeof e === 'object' && e.index === null) facts.push(['Job error', e.error]);
  $('detail-facts').replaceChildren(
    ...facts.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: String(v ?? '') })]),
  );
  $('detail-abort').hidden = FINAL.has(job.state);
}

export async function loadDetailData() {
  const id = current;
  const job = ctx.jobs.get(id);
  if (!job) return;
  try {
    await loadErrors();
    if (job.aggregates_ready || FINAL.has(job.state)) {
      const res = await fetch(job.aggregates_url, { headers: authHeaders(), cache: 'no-store', credentials: 'omit' });
      if (res.status === 401) throw new AuthError('token refused');
      const text = await res.text();
      if (id !== current) return;
      if (res.status === 200) renderAggregates(exactJson(text).aggregate_results ?? {});
      else
        $('detail-aggregates').replaceChildren(el('p', { text: JSON.parse(text).error ?? `answered ${res.status}` }));
    }
  } catch (err) {
    if (err instanceof AuthError) return ctx.onAuthError();
    $('detail-message').textContent = `Could not load the job's details: ${err.message}`;
  }
}

/** Aggregates carry exact decimals as number literals: keep their digits as text. */
export function exactJson(text) {
  try {
    return JSON.parse(text.replace(/([:[,]\s*)(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?=\s*[,}\]])/g, '$1"$2"'));
  } catch {
    return JSON.parse(text);
  }
}

export function renderAggregates(results) {
  const entries = Object.entries(results);
  if (entries.length === 0) return $('detail-aggregates').replaceChildren(el('p', { text: 'No aggregates.' }));
  const dl = el('dl', { id: 'aggregates-list' });
  for (const [k, v] of entries)
    dl.append(
      el('dt', { text: k }),
      el('dd', { text: v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v) }),
    );
  $('detail-aggregates').replaceChildren(dl);
}

export async function loadErrors() {
  const id = current;
  const job = ctx.jobs.get(id);
  if (!job) return;
  const { status, body } = await api(`${job.errors_url}?offset=${errorsOffset}&limit=${ERRORS_PAGE}`);
  if (id !== current) return;
  if (status !== 200 || !body) throw new Error(`errors answered ${status}`);
  errorsTotal = body.total;
  const list = body.errors ?? [];
  $('errors-body').replaceChildren(
    ...list.map((e) =>
      typeof e === 'string'
        ? el('tr', {}, el('td', { text: '—' }), el('td', { text: '' }), el('td', { text: e }))
        : el(
            'tr',
            {},
            el('td', { text: e.index === null ? '—' : itemPlace(job, e.index) }),
            el('td', { text: e.field ?? '' }),
            el('td', { text: e.error ?? '' }),
          ),
    ),
  );
  $('errors-table').hidden = list.length === 0;
  $('errors-none').hidden = list.length > 0;
  $('errors-none').textContent = FINAL.has(job.state) ? 'No record errors.' : 'No record errors so far.';
  $('errors-caption').textContent =
    `Record errors ${n(errorsOffset + 1)}–${n(errorsOffset + list.length)} of ${n(errorsTotal)} (where: file:line, or the record's 0-based position in the job)`;
  $('errors-prev').hidden = errorsOffset === 0;
  $('errors-next').hidden = errorsOffset + list.length >= errorsTotal;
}

export async function pageErrors(delta) {
  errorsOffset = Math.max(0, errorsOffset + delta);
  try {
    await loadErrors();
  } catch (err) {
    if (err instanceof AuthError) return ctx.onAuthError();
    $('detail-message').textContent = `Could not load errors: ${err.message}`;
  }
}
