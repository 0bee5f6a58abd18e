// How the job API shows a stored job: the 202 start body and the status body, in the guide's words.
import {
  apiPaths,
  BULK_BODY_TYPES,
  isFinal,
  STATUS_OF_STATE,
  type RecordError,
  type StartResponse,
  type StatusErrorEntry,
  type StatusResponse,
} from '../protocol/index.js';
import type { JobRecord } from './store/store.js';

/** A duration the way the guide writes it: "30 seconds", "2 minutes". */
export function humanDuration(seconds: number): string {
  if (seconds < 1) return 'less than a second';
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (seconds < 90) return unit(Math.ceil(seconds), 'second');
  if (seconds < 5400) return unit(Math.round(seconds / 60), 'minute');
  return unit(Math.round(seconds / 3600), 'hour');
}

/** The guide's start estimate: a range in minutes, or "less than a minute". */
export function estimateDuration(items: number, itemsAhead: number, rowsPerSecond: number): string {
  const seconds = (items + itemsAhead) / Math.max(1, rowsPerSecond);
  if (seconds < 60) return 'less than a minute';
  const minutes = Math.ceil(seconds / 60);
  return `${minutes}-${minutes + 1} minutes`;
}

const verb = (job: { jobType: string }) =>
  job.jobType === 'upsert' ? 'upsert' : job.jobType === 'delete' ? 'delete' : 'create';

export function startResponse(
  job: Pick<JobRecord, 'id' | 'jobType' | 'totalItems' | 'uniqueFields' | 'updateFields'>,
  estimated: string,
): StartResponse {
  const id = job.id;
  const res: StartResponse = {
    message: `Enhanced bulk ${verb(job)} job started for ${job.totalItems} items`,
    job_id: id,
    task_id: `task-${id}`,
    total_items: job.totalItems,
    status_url: apiPaths.status(id),
    aggregates_url: apiPaths.aggregates(id),
    estimated_duration: estimated,
    next_steps: [
      'Poll status_url every 10 seconds for progress updates',
      "Check aggregates_url when status shows 'Job Complete'",
      'Review any errors in the status response',
    ],
    tips: [
      'Large batches (>10k items) may take several minutes',
      'You can safely poll status_url frequently',
      'Aggregates are automatically calculated when job completes',
      'Follow events_url for live updates instead of polling',
    ],
    errors_url: apiPaths.errors(id),
    events_url: apiPaths.events(id),
    abort_url: apiPaths.abort(id),
    body_types: [...BULK_BODY_TYPES],
  };
  if (job.jobType !== 'insert') {
    res.unique_fields = job.uniqueFields ?? [];
    res.update_fields = job.updateFields;
  }
  return res;
}

function message(job: JobRecord, pct: number): string {
  switch (job.state) {
    case 'Open':
      return `Job queued: ${job.totalItems} items waiting to start`;
    case 'In Progress':
      if (job.awaitingTakeover)
        return (
          `Waiting for another node to take over (${job.node ?? 'its node'} ` +
          `stopped); ${job.processedItems} of ${job.totalItems} items done`
        );
      return `Processing ${job.processedItems} of ${job.totalItems} items (${pct.toFixed(1)}% complete)`;
    case 'Job Complete':
      return `Job completed successfully! Processed ${job.processedItems} items with ${job.errorCount} errors`;
    case 'Failed':
      return `Job failed after processing ${job.processedItems} items`;
    case 'Aborted':
      return `Job aborted after processing ${job.processedItems} of ${job.totalItems} items`;
  }
}

function nextSteps(job: JobRecord, remaining: string | null): string[] {
  switch (job.state) {
    case 'Open':
      return ['Wait for processing to begin', 'Poll status_url every 10 seconds for progress updates'];
    case 'In Progress':
      return [
        'Continue polling every 10 seconds',
        remaining ? `Estimated completion: ${remaining}` : 'Estimated completion: unknown',
      ];
    case 'Job Complete':
      return ['Check aggregates_url for results', 'Review any errors in the response'];
    case 'Failed':
      return ['Review errors', 'Retry the operation, with a smaller batch if it keeps failing'];
    case 'Aborted':
      return ['Review why the job was aborted', 'Restart the unprocessed items if needed'];
  }
}

/** The guide's status response, plus the (ext) URLs. `errors` only once the job is final. */
export function statusResponse(
  job: JobRecord,
  extras: { firstErrors: RecordError[]; rowsPerSecond: number },
): StatusResponse {
  const pct = job.totalItems > 0 ? Math.round((job.processedItems / job.totalItems) * 1000) / 10 : 100;
  const final = isFinal(job.state);
  const remainingSeconds =
    job.state === 'In Progress' || job.state === 'Open'
      ? (job.totalItems - job.processedItems) / Math.max(1, extras.rowsPerSecond)
      : null;
  const remaining = remainingSeconds === null ? null : humanDuration(remainingSeconds);
  let errors: StatusErrorEntry[] | null = null;
  if (final) {
    errors = [
      ...(job.jobErrors ?? []).map((e): StatusErrorEntry => ({ index: null, error: e })),
      ...extras.firstErrors,
    ];
  }
  const id = job.id;
  return {
    job_id: id,
    job_type: job.jobType,
    state: job.state,
    status: STATUS_OF_STATE[job.state],
    message: message(job, pct),
    created_at: job.createdAt,
    updated_at: job.updatedAt,
    completed_at: job.completedAt,
    total_items: job.totalItems,
    processed_items: job.processedItems,
    success_count: job.successCount,
    error_count: job.errorCount,
    percentage: pct,
    estimated_remaining: remaining,
    aggregates_ready: job.aggregates !== null,
    aggregates_completed: job.aggregates !== null,
    next_steps: nextSteps(job, remaining),
    can_retry: job.state === 'Failed',
    errors,
    resource: job.resource,
    started_at: job.startedAt,
    status_url: apiPaths.status(id),
    aggregates_url: apiPaths.aggregates(id),
    errors_url: apiPaths.errors(id),
    events_url: apiPaths.events(id),
    abort_url: apiPaths.abort(id),
    node: job.node,
    awaiting_takeover: job.awaitingTakeover,
    source: job.source ?? null,
    run_id: job.runId ?? null,
  } as StatusResponse;
}
