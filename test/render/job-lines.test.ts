// A finished job's lines as a log and a terminal show them: a batch with no job (its start's answer
// lost) says so, rather than an empty id.
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { finishedJobParts, jobLines } from '../../src/render/job-lines.js';
import { unconfirmedOutcome } from '../../src/upload/state/run-result.js';

const origin = { file: 't.csv', batch: 2, firstLine: 102, lastLine: 201, rows: 100 };
const plain = new Chalk({ level: 0 });

describe('job lines', () => {
  it('a batch whose start answer was lost: "no job", never an empty id', () => {
    const o = unconfirmedOutcome(origin, '', null, ['lost']);
    expect(jobLines(o).head).toBe(
      'batch 2 no job lines 102-201: unconfirmed, 100 rows, 0 stored, 0 failed, 100 unconfirmed',
    );
    expect(finishedJobParts(o, plain, null).map((p) => p.text)).toContain('no job');
  });

  it('a job is named by its short id', () => {
    const o = unconfirmedOutcome(origin, '1a2b3c4d-0000-4000-8000-000000000000', 'In Progress', []);
    expect(jobLines(o).head).toMatch(
      /^batch 2 job 1a2b3c4d lines 102-201: unconfirmed \(the server said In Progress\), /,
    );
  });
});
