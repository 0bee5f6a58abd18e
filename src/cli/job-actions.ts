/** The job commands (status, aggregates, errors, jobs, abort, watch): each asks the server and prints its answer. */
import { ApiError } from '../client/api-error.js';
import { jobRefFromId, withStatusUrls, type JobRef } from '../client/job-ref.js';
import { JobIdError, noJobMessage, resolveJobId } from '../client/resolve-job-id.js';
import { isFinal, type RecordError, type StatusResponse } from '../protocol/index.js';
import { jobsTable } from '../render/jobs-table.js';
import { wrapForTerminal } from '../render/fit-parts.js';
import { aggregateTexts } from '../render/format.js';
import { splitStatusErrors } from '../upload/settle/job-results.js';
import { watchJob } from '../upload/settle/watch-job.js';
import { progressOf } from '../upload/send/job-progress.js';
import { BulkError } from '../errors/bulk-error.js';
import { connect, type ConnectionFlags } from './connect.js';
import { jobErrorsPage } from '../client/run-api.js';
import type { RunErrorView } from '../protocol/run-shapes.js';
import { errorLine } from './run-actions.js';
import type { Ending } from './exit-path.js';

type Flags = ConnectionFlags & { json?: boolean };

/** A job command that answered: its output (the document, under --json) is already written. */
const answered = (flags: Flags): Ending => ({ kind: 'completed', message: null, documentWritten: Boolean(flags.json) });

const out = (text: string) => process.stdout.write(`${text}\n`);
/** A line for people: on a terminal broken at spaces (its own wrap would cut words and numbers). */
const say = (text: string) => wrapForTerminal(text, process.stdout.isTTY ? process.stdout.columns : 0).forEach(out);
const printJson = (value: unknown) => out(JSON.stringify(value, null, 2));

type Connection = Awaited<ReturnType<typeof connect>>;

/** The job a typed id (or unique prefix of 8+ characters) names, or an error that says which it could not. */
async function jobRefOf(conn: Connection, typed: string): Promise<JobRef> {
  try {
    return jobRefFromId(await resolveJobId(conn.client, typed), (p) => conn.client.resolve(p));
  } catch (err) {
    if (err instanceof JobIdError)
      throw new BulkError(
        'usage',
        err.message,
        'e.g. the 8-character id printed by bulk upload, or bulk jobs for the full ids',
      );
    throw err;
  }
}

/** A 404 for a job the user named says so in their words, not the server's "Job not found". */
async function namingUnknown<T>(typed: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof ApiError && err.kind === 'not-found')
      throw new BulkError('not-found', noJobMessage(typed), 'bulk jobs lists the jobs this token can see');
    throw err;
  }
}

async function withJob<T>(jobId: string, flags: Flags, body: (ctx: Connection, ref: JobRef) => Promise<T>): Promise<T> {
  const conn = await connect(flags);
  try {
    return await namingUnknown(jobId, async () => body(conn, await jobRefOf(conn, jobId)));
  } finally {
    await conn.close();
  }
}

/** `about 2 minutes remaining`, `less than a second remaining`: never "about less than". */
export function remainingText(estimate: string): string {
  const e = estimate.trim();
  return /^(about|around|less|under|over|more|nearly|almost|~)\b/i.test(e) ? `${e} remaining` : `about ${e} remaining`;
}

export function describeStatus(s: StatusResponse): string[] {
  const lines = [
    `${s.job_id}  ${s.state} (${s.status})  ${s.job_type ?? ''}${s.resource ? ` ${s.resource}` : ''}`.trimEnd(),
    `  ${s.message}`,
    `  processed ${s.processed_items} of ${s.total_items} (${Number(s.percentage ?? 0).toFixed(1)}%): ` +
      `${s.success_count} stored, ${s.error_count} failed`,
  ];
  if (s.estimated_remaining && !isFinal(s.state)) lines.push(`  ${remainingText(s.estimated_remaining)}`);
  const { records, job } = splitStatusErrors(s.errors);
  for (const e of job) lines.push(`  job error: ${e}`);
  for (const e of records.slice(0, 5)) lines.push(`  record ${e.index}${e.field ? ` ${e.field}` : ''}: ${e.error}`);
  if (s.error_count > 5 && records.length > 0) lines.push(`  … all ${s.error_count} errors: bulk errors ${s.job_id}`);
  return lines;
}

export async function showStatus(jobId: string, flags: Flags): Promise<Ending> {
  return withJob(jobId, flags, async ({ client }, ref) => {
    const status = await client.getStatus(ref);
    if (flags.json) printJson(status);
    else describeStatus(status).forEach(say);
    return answered(flags);
  });
}

export async function showAggregates(jobId: string, flags: Flags): Promise<Ending> {
  return withJob(jobId, flags, async ({ client }, ref) => {
    const res = await client.getAggregates(ref);
    if (flags.json) printJson(res);
    else for (const [k, v] of aggregateTexts(res.aggregate_results)) out(`${k}\t${v}`);
    return answered(flags);
  });
}

export async function showErrors(jobId: string, flags: Flags & { pageSize: number }): Promise<Ending> {
  return withJob(jobId, flags, async ({ client }, ref) => {
    // A server that keeps runs places each error in the input (file:line, the value); else the guide's form.
    if (await showLocatedErrors(client, ref.jobId, flags)) return answered(flags);
    const status = await client.getStatus(ref);
    const full = withStatusUrls(ref, status, (p) => client.resolve(p));
    let errors: RecordError[] = splitStatusErrors(status.errors).records;
    let total = status.error_count;
    if (full.errorsUrl) {
      errors = [];
      for (let offset = 0; ; offset += flags.pageSize) {
        const page = await client.getErrorsPage(full, offset, flags.pageSize);
        if (!page) break;
        total = page.total;
        errors.push(...page.errors);
        if (!flags.json) for (const e of page.errors) out(`${e.index}\t${e.field ?? ''}\t${e.error}`);
        if (page.errors.length < flags.pageSize || errors.length >= page.total) break;
      }
    } else if (!flags.json) {
      for (const e of errors) out(`${e.index}\t${e.field ?? ''}\t${e.error}`);
    }
    if (flags.json) printJson({ job_id: ref.jobId, total, errors });
    const count = Number(total);
    if (!full.errorsUrl && Number.isFinite(count) && errors.length < count)
      throw new BulkError(
        'not-found',
        `job ${ref.jobId} has ${count} record errors; this server names ${errors.length} of them ` +
          `and has no errors endpoint (errors_url) for the rest`,
        'the failed-rows file of the upload lists the rows it could name',
      );
    return answered(flags);
  });
}

/** The job's errors as `file:line  field  error  value`; false when the server has only the offset form. */
async function showLocatedErrors(client: Connection['client'], jobId: string, flags: Flags & { pageSize: number }) {
  const all: RunErrorView[] = [];
  let total = 0;
  let after = '';
  for (;;) {
    const page = await jobErrorsPage(client, jobId, flags.pageSize, after);
    if (!page) return false;
    total = page.total ?? total;
    if (flags.json) all.push(...page.errors);
    else page.errors.forEach((e) => out(errorLine(e)));
    if (!page.next || page.errors.length === 0) break;
    after = page.next;
  }
  if (flags.json) printJson({ job_id: jobId, total, errors: all });
  return true;
}

export async function showJobs(flags: Flags & { state?: string; limit: number }): Promise<Ending> {
  const conn = await connect(flags);
  try {
    const list = await conn.client.listJobs({ state: flags.state, limit: flags.limit });
    if (flags.json) printJson(list);
    else if (list.jobs.length === 0) process.stderr.write('no jobs\n');
    else if (process.stdout.isTTY) for (const l of jobsTable(list.jobs, process.stdout.columns || undefined)) out(l);
    else
      for (const j of list.jobs)
        out(
          `${j.job_id}\t${j.state}\t${j.job_type}\t${j.resource ?? ''}\t${j.processed_items}/${j.total_items}\t` +
            `${j.success_count} stored\t${j.error_count} failed\t${j.created_at}`,
        );
    return answered(flags);
  } finally {
    await conn.close();
  }
}

export async function abortJob(jobId: string, flags: Flags): Promise<Ending> {
  return withJob(jobId, flags, async ({ client }, ref) => {
    const status = await client.getStatus(ref);
    const full = withStatusUrls(ref, status, (p) => client.resolve(p));
    let after = await client.abort(full);
    // The server stops a running job at its next chunk: wait for that, so what we print is final.
    if (!isFinal(after.state)) after = await watchJob(client, full, { onStatus: () => undefined, useEvents: false });
    if (flags.json) printJson(after);
    else describeStatus(after).forEach(say);
    return answered(flags);
  });
}

export async function watchJobs(jobIds: string[], flags: Flags & { events: boolean; color: boolean }): Promise<Ending> {
  const conn = await connect(flags);
  const { createReporter } = await import('../render/reporter.js');
  const { resolveColor } = await import('../render/color.js');
  const stderr = process.stderr;
  const reporter = createReporter({
    mode: flags.json ? 'json' : stderr.isTTY ? 'tty' : 'plain',
    stream: stderr,
    color: resolveColor({ flag: flags.color === false ? false : undefined, env: process.env, stream: stderr }),
    verbosity: 0,
    plainIntervalMs: 5000,
  });
  try {
    const finals = await Promise.all(
      jobIds.map(async (typed, i) => {
        const { client } = conn;
        const bare = await jobRefOf(conn, typed);
        const jobId = bare.jobId;
        const first = await namingUnknown(typed, () => client.getStatus(bare));
        const ref = withStatusUrls(bare, first, (p) => client.resolve(p));
        const onStatus = (s: StatusResponse) =>
          reporter.handle({ type: 'job-progress', progress: progressOf(i + 1, jobId, s) });
        const final = isFinal(first.state) ? first : await watchJob(client, ref, { onStatus, useEvents: flags.events });
        onStatus(final);
        return final;
      }),
    );
    reporter.close();
    if (flags.json) printJson({ jobs: finals });
    else for (const s of finals) describeStatus(s).forEach(say);
    const documentWritten = Boolean(flags.json);
    const failed = finals.find((s) => s.state !== 'Job Complete');
    if (failed)
      return {
        kind: 'job-failed',
        message: `job ${failed.job_id} ended ${failed.state}`,
        next: `see its errors with bulk errors ${failed.job_id}`,
        documentWritten,
      };
    if (finals.some((s) => s.error_count > 0)) return { kind: 'rows-rejected', message: null, documentWritten };
    return answered(flags);
  } finally {
    reporter.close();
    await conn.close();
  }
}
