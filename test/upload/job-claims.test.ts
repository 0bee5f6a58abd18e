import { describe, expect, it } from 'vitest';
import type { CheckpointEntry } from '../../src/upload/state/checkpoint.js';
import { JobClaims } from '../../src/upload/state/job-claims.js';

const entry = (e: Partial<CheckpointEntry>): CheckpointEntry => ({
  key: 'r:0:2-101',
  file: 't.csv',
  batch: 1,
  first_line: 2,
  last_line: 101,
  rows: 100,
  job_id: 'a',
  state: 'finished',
  ...e,
});
const batch = (firstLine: number, lastLine: number, file = 't.csv') => ({ file, firstLine, lastLine });

describe('a job id belongs to one batch of a run', () => {
  it('the same id for another batch is a protocol violation naming both batches', () => {
    const claims = new JobClaims([]);
    claims.claim('a', batch(2, 101));
    expect(() => claims.claim('a', batch(102, 201))).toThrow(
      /job id a for lines 102-201 of t\.csv, but that id is already the job of lines 2-101 of t\.csv/,
    );
    expect(() => claims.claim('a', batch(2, 101, 'u.csv'))).toThrow(/protocol|already the job/);
  });

  it('an idempotent replay of the same batch may answer the same id', () => {
    const claims = new JobClaims([entry({ job_id: 'a', state: 'submitted' })]);
    expect(() => claims.claim('a', batch(2, 101))).not.toThrow();
    expect(() => claims.claim('b', batch(102, 201))).not.toThrow();
  });

  it("a resume holds new batches to the checkpoint's jobs, folded ones included", () => {
    const folded = entry({
      job_id: null,
      first_line: 2,
      last_line: 201,
      rows: 200,
      jobs: [
        ['f1', 1, 2, 101, 100, 100, 0],
        ['f2', 2, 102, 201, 100, 100, 0],
      ],
    });
    const claims = new JobClaims([folded, entry({ job_id: 'c', first_line: 202, last_line: 301 })]);
    expect(() => claims.claim('f2', batch(302, 401))).toThrow(/already the job of lines 102-201/);
    expect(() => claims.claim('c', batch(302, 401))).toThrow(/already the job of lines 202-301/);
    expect(() => claims.claim('f1', batch(2, 101))).not.toThrow();
  });

  it('an id is disputed until every start in flight at its claim is answered; a later start does not hold it', async () => {
    const claims = new JobClaims([]);
    claims.claim('c', batch(302, 401));
    let answerFirst!: (id: string) => void;
    const first = claims.starting(new Promise<string>((resolve) => (answerFirst = resolve)));
    claims.claim('a', batch(102, 201));
    let settled: boolean | null = null;
    const verdict = claims.disputed('a').then((v) => (settled = v));
    // Never answered, and started after both claims: it holds neither.
    void claims.starting(new Promise<string>(() => undefined));
    expect(await claims.disputed('c')).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(settled).toBeNull();
    answerFirst('a');
    // The retried start's answer names the same id: its claim, in the same turn, makes both untrusted.
    await first.then((id) => expect(() => claims.claim(id, batch(2, 101))).toThrow(/already the job/));
    await verdict;
    expect(settled).toBe(true);
  });

  it('an id claimed while no other start is in flight is known at once', async () => {
    const claims = new JobClaims([]);
    claims.claim('a', batch(2, 101));
    expect(await claims.disputed('a')).toBe(false);
  });
});
