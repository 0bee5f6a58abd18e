/** Job states and status words exactly as the caller-visibility guide spells them. */
export const JOB_STATES = ['Open', 'In Progress', 'Job Complete', 'Failed', 'Aborted'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const JOB_STATUSES = ['queued', 'processing', 'completed', 'failed', 'aborted'] as const;
export type JobStatusWord = (typeof JOB_STATUSES)[number];

export const STATUS_OF_STATE: Readonly<Record<JobState, JobStatusWord>> = {
  Open: 'queued',
  'In Progress': 'processing',
  'Job Complete': 'completed',
  Failed: 'failed',
  Aborted: 'aborted',
};

const FINAL_STATES: ReadonlySet<JobState> = new Set(['Job Complete', 'Failed', 'Aborted']);

export function isFinal(state: string): boolean {
  return FINAL_STATES.has(state as JobState);
}

export const JOB_TYPES = ['insert', 'upsert', 'delete'] as const;
export type JobType = (typeof JOB_TYPES)[number];
