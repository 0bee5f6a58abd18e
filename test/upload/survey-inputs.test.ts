import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/input/input-error.js';
import { dialectOf } from '../../src/upload/plan/run-plan.js';
import { surveyInputs } from '../../src/upload/plan/survey-inputs.js';
import { openRunInput } from '../../src/upload/send/stdin-spool.js';
import { TEST_PLAN } from '../helpers/run-plan.js';
import { tempDir } from '../helpers/temp.js';

describe('surveyInputs: each input looked at once before the run', () => {
  it("reads a CSV's header and detects its delimiter once; the run opens it with that dialect and guesses nothing", async () => {
    const dir = tempDir();
    const csv = path.join(dir, 'semi.csv');
    const ndjson = path.join(dir, 'rows.ndjson');
    writeFileSync(csv, 'account_id;amount\n1;2.00\n');
    writeFileSync(ndjson, '{"a":1}\n');
    const survey = await surveyInputs({ ...TEST_PLAN, files: [csv, ndjson, '-'], csv: { trim: true } });
    expect(survey.plan.dialects).toEqual([{ trim: true, delimiter: ';' }, null, null]);
    expect(survey.notices).toEqual([expect.stringContaining("delimiter ';' (detected from the header line")]);
    expect(survey.inputs[0]?.columns()).toEqual(['account_id', 'amount']);
    expect(survey.inputs.slice(1)).toEqual([null, null]);

    const told: string[] = [];
    const { opened } = await openRunInput(csv, survey.plan, dialectOf(survey.plan, 0), undefined, (t) => told.push(t));
    for await (const items of opened.batches(10)) expect(items).toHaveLength(1);
    await opened.close();
    expect([opened.delimiter(), told]).toEqual([';', []]);
  });

  it('keeps a dialect the plan already has (a resume): no detection, no notice', async () => {
    const dir = tempDir();
    const csv = path.join(dir, 'semi.csv');
    writeFileSync(csv, 'a;b\n1;2\n');
    const survey = await surveyInputs({ ...TEST_PLAN, files: [csv], dialects: [{ delimiter: ';' }] });
    expect([survey.plan.dialects, survey.notices]).toEqual([[{ delimiter: ';' }], []]);
  });

  it('refuses an input that cannot be read, before anything else', async () => {
    const dir = tempDir();
    await expect(surveyInputs({ ...TEST_PLAN, files: [path.join(dir, 'missing.csv')] })).rejects.toThrow(InputError);
    await expect(surveyInputs({ ...TEST_PLAN, files: [path.join(dir, 'missing.json')] })).rejects.toThrow(
      /no such file/,
    );
  });
});
