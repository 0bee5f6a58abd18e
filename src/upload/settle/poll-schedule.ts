/**
 * The guide's "intelligent polling": start fast, back off as the job progresses. The guide starts
 * at 2 s; a local server finishes a 1000-row job in well under that, so we start at 250 ms and keep
 * the guide's growth factors and ceilings.
 */
export interface PollSchedule {
  initialMs: number;
  /** Ceiling below 25% done. */
  earlyMaxMs: number;
  /** Ceiling between 25% and 50% (guide: 5 s). */
  midMaxMs: number;
  /** Ceiling past 50% (guide: 10 s). */
  lateMaxMs: number;
}

export const DEFAULT_POLL: PollSchedule = { initialMs: 250, earlyMaxMs: 2_000, midMaxMs: 5_000, lateMaxMs: 10_000 };

export function nextPollInterval(current: number, percentage: number, schedule: PollSchedule = DEFAULT_POLL): number {
  if (percentage > 50) return Math.min(current * 1.5, schedule.lateMaxMs);
  if (percentage > 25) return Math.min(current * 1.2, schedule.midMaxMs);
  return Math.min(current * 1.1, schedule.earlyMaxMs);
}
