/**
 * Each input looked at once before the run: refused now if it cannot be read (missing, a
 * directory, the wrong encoding), and for a CSV file its header read and its delimiter detected.
 * The dialect found goes into the plan, so the run (and any resume) reads the file with it and
 * detects nothing again; the header goes to the input planner, which checks it against the resource.
 */
import { InputError } from '../../input/input-error.js';
import { checkInput, detectFormat, openInput, type InputSource } from '../../input/open-input.js';
import { dialectOf, type RunPlan } from './run-plan.js';

/** What the survey learned of one input: enough to plan its columns without opening it again. */
export type SurveyedInput = Pick<InputSource, 'file' | 'displayName' | 'format' | 'columns' | 'delimiter' | 'layout'>;

export interface Survey {
  /** The plan with each CSV input's dialect as found. */
  plan: RunPlan;
  /** Per input (by index): what was learned, or null (stdin, or a file whose start cannot be read as rows). */
  inputs: (SurveyedInput | null)[];
  /** What was guessed (a detected delimiter), for the run to tell. */
  notices: string[];
}

export async function surveyInputs(plan: RunPlan): Promise<Survey> {
  const notices: string[] = [];
  const inputs: (SurveyedInput | null)[] = [];
  const dialects = plan.files.map((_, i) => plan.dialects?.[i] ?? null);
  for (const [i, file] of plan.files.entries()) {
    inputs.push(null);
    if (file === '-') continue;
    const how = { format: plan.format, encoding: plan.encoding, limits: plan.limits };
    // JSON and NDJSON have no header: checking the file is enough. A CSV file is opened once, here,
    // with the same checks, for its header.
    if (detectFormat(file, plan.format) !== 'csv') {
      await checkInput(file, how);
      continue;
    }
    const dialect = dialectOf(plan, i);
    const source = await openInput(file, { ...how, dialect, onNotice: (text) => notices.push(text) });
    try {
      // The header is read with the first rows; a file that cannot be read on is the run's business.
      for await (const items of source.batches(1)) if (items.length > 0) break;
      const columns = source.columns();
      const delimiter = source.delimiter();
      const layout = source.layout();
      inputs[i] = {
        file,
        displayName: source.displayName,
        format: 'csv',
        columns: () => columns,
        delimiter: () => delimiter,
        layout: () => layout,
      };
      if (delimiter !== undefined) dialects[i] = { ...dialect, delimiter };
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
    } finally {
      await source.close();
    }
  }
  return { plan: dialects.some((d) => d !== null) ? { ...plan, dialects } : plan, inputs, notices };
}
