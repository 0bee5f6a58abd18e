/**
 * Before the first job: learns what the server says of its resources (once), and checks every
 * named file's header (as the survey read it, survey-inputs.ts) against its resource (column
 * mapping included), so a file that cannot fit is refused before anything is sent. Then opens
 * each file for the run with its column plan and, for a dry run, the client-side row check. A
 * delete run checks its files against the key alone and sends each row's key fields only
 * (delete-keys.ts).
 */
import type { JobApiClient } from '../../client/job-api-client.js';
import type { InputItem } from '../../input/input-item.js';
import type { InputSource } from '../../input/open-input.js';
import type { ResourceDescription } from '../../protocol/index.js';
import { planColumns, type ColumnPlan } from '../plan/column-plan.js';
import { rowChecker, type RowCheck } from '../plan/dry-run-check.js';
import { checkDeleteKey, keyedDescription, keyRecord } from '../plan/delete-keys.js';
import type { FailedRowsFiles } from '../state/failed-rows-files.js';
import { styleOf } from '../state/failed-rows-writer.js';
import { openRunInput, type SpooledInput } from './stdin-spool.js';
import { dialectOf, type RunPlan } from '../plan/run-plan.js';
import type { SurveyedInput } from '../plan/survey-inputs.js';
import { resourceFromFile } from '../plan/upload-inputs.js';
import { BulkError } from '../../errors/bulk-error.js';
import { FormatHints } from '../plan/format-hints.js';
import { convertsAnything } from '../plan/value-formats.js';
import { planConversion, problemsReason, type ValueConverter } from '../plan/value-converter.js';
import { csvBodiesFor, openCanonical } from './csv-path.js';

/** How many converted rows a dry run shows. */
const PREVIEW_ROWS = 3;

export class InputPlanner {
  private descriptions: Map<string, ResourceDescription> | null = null;
  private readonly plans = new Map<number, ColumnPlan>();
  /** Per CSV input, the fields its header gives (after --map). */
  private readonly fieldsOf = new Map<number, Set<string>>();
  private readonly checks = new Map<string, RowCheck>();
  private readonly conversions = new Map<string, ValueConverter | null>();
  /** What the survey read of each input (its header and layout), by index. */
  private surveyed: readonly (SurveyedInput | null)[] = [];

  constructor(
    private readonly plan: RunPlan,
    private readonly notice: (text: string) => void,
    /** Where stdin's rows are kept for a resume, and whether this run writes or reads them (stdin-spool.ts). */
    private readonly stdinSpool?: { path: string; resume: boolean },
  ) {}

  /** The resource a file goes to. */
  resourceOf(file: string): string {
    return this.plan.resource ?? resourceFromFile(file);
  }

  /**
   * Fetches the descriptions and checks each named file's header; throws HeaderMismatchError (column-plan.ts) or an
   * unknown-resource BulkError.
   */
  async prepare(client: JobApiClient, surveyed: readonly (SurveyedInput | null)[]): Promise<void> {
    const list = await client.describeResources();
    this.descriptions = list ? new Map(list.map((r) => [r.name, r])) : null;
    // Said before the first start, so a start whose answer is lost may go again even then.
    if (list?.some((r) => r.idempotency_keys === true)) client.trustKeys();
    this.surveyed = surveyed;
    for (const [i, file] of this.plan.files.entries()) {
      this.description(this.resourceOf(file));
      const input = surveyed[i];
      if (input) this.planFor(i, input);
    }
  }

  /**
   * Opens a file for the run (stdin through its spool): rows go on under field names (--map,
   * --ignore-unknown), failed rows are written back under the file's own names and dialect.
   * `opened` is the file as read; `source` is what the run reads.
   */
  async open(
    file: string,
    fileIndex: number,
    sink: FailedRowsFiles,
  ): Promise<{ opened: InputSource; source: InputSource; spool: SpooledInput | null; csvBodies: boolean }> {
    // A file the survey read is opened with the delimiter it found: nothing is guessed again.
    const dialect = dialectOf(this.plan, fileIndex);
    const { opened, spool } = await openRunInput(file, this.plan, dialect, this.stdinSpool, this.notice);
    sink.describe(opened.displayName, opened.format, file);
    const onPlan = (plan: ColumnPlan, convert: ValueConverter | null) =>
      sink.setColumns(
        opened.displayName,
        plan.sourceColumns,
        plan.restore,
        styleOf(this.plan.csv, opened.delimiter(), opened.layout()),
        convert?.restore,
      );
    const description = this.descriptions ? this.description(this.resourceOf(file)) : null;
    const csvBodies = csvBodiesFor(this.plan, opened, description);
    // A canonical file goes as its own bytes: no row is parsed, mapped, converted or re-written.
    const surveyed = this.surveyed[fileIndex];
    const canonical =
      csvBodies && description && surveyed && this.plans.has(fileIndex) && !convertsAnything(this.plan.formats)
        ? await openCanonical(this.plan, opened, description, { dialect, layout: surveyed.layout() })
        : null;
    if (canonical) onPlan(this.plans.get(fileIndex) as ColumnPlan, null);
    const source =
      canonical ??
      this.wrap(opened, fileIndex, onPlan, (line, sourceLine) => sink.noteOrigin(opened.displayName, line, sourceLine));
    return { opened, source, spool, csvBodies };
  }

  /**
   * A unique key of the file's resource whose every field the file's header gives, or null (no
   * description, no header: a JSON file's rows may each carry other fields).
   */
  carriedKey(fileIndex: number, file: string): string[] | null {
    const fields = this.fieldsOf.get(fileIndex);
    const keys = this.descriptions?.get(this.resourceOf(file))?.unique_keys ?? [];
    return (fields && keys.find((k) => k.length > 0 && k.every((f) => fields.has(f)))) || null;
  }

  /** The plan for a file whose header (if any) has been read. */
  planFor(fileIndex: number, source: SurveyedInput): ColumnPlan {
    const known = this.plans.get(fileIndex);
    if (known) return known;
    const resourceName = this.resourceOf(source.file);
    const { plan, notices } = planColumns({
      file: source.displayName,
      header: source.format === 'csv' ? source.columns() : null,
      map: this.plan.columnMap ?? {},
      ignoreUnknown: this.plan.ignoreUnknown ?? false,
      resourceName,
      resource: this.description(resourceName),
      delimiter: source.delimiter(),
      nullValue: source.format === 'csv' ? this.plan.csv?.nullValue : undefined,
    });
    for (const n of notices) this.notice(n);
    const header = source.format === 'csv' ? source.columns() : null;
    const full = this.descriptions?.get(resourceName);
    const present = new Set((header ?? []).map((c) => this.plan.columnMap?.[c] ?? c));
    if (header) this.fieldsOf.set(fileIndex, present);
    if (this.plan.upsert && header && full) {
      const absent = full.fields.filter((f) => f.required && !present.has(f.name)).map((f) => f.name);
      if (absent.length > 0)
        this.notice(
          `${source.displayName}: no column for ${absent.join(', ')}: rows update only the fields the file has, ` +
            `and a row whose key names no record fails (creating one needs ${absent.join(', ')})`,
        );
    }
    this.plans.set(fileIndex, plan);
    return plan;
  }

  /**
   * The source as the upload reads it: rows under field names, the file's kept columns as its
   * columns, and in a dry run each row checked as the server would (a refused row comes out
   * rejected, with its record). `onPlan` hears the plan once the header is known.
   */
  private wrap(
    source: InputSource,
    fileIndex: number,
    onPlan: (plan: ColumnPlan, convert: ValueConverter | null) => void,
    onOrigin: (line: number, sourceLine: number) => void,
  ): InputSource {
    const resourceName = this.resourceOf(source.file);
    const check = this.rowCheck(resourceName);
    const description = this.description(resourceName);
    const convert = this.conversion(resourceName);
    const hints = description ? new FormatHints(description, convert?.fields) : null;
    const notice = this.notice;
    const preview = this.plan.dryRun && convert ? { left: PREVIEW_ROWS } : null;
    const map = this.plan.columnMap ?? {};
    const del = this.plan.delete;
    let plan: ColumnPlan | null = null;
    const planned = (): ColumnPlan => {
      if (!plan) onPlan((plan = this.planFor(fileIndex, source)), convert);
      return plan;
    };
    /** The record as it goes out, or the row's rejection (its record as read). */
    const checkAll = description ? this.checkFor(resourceName, description) : null;
    const converted = (line: number, record: Record<string, unknown>): InputItem => {
      const c = convert ? convert.convert(record) : { record };
      hints?.observe(record, c.record);
      if (c.problems) {
        // Every error of the row at once: the values that did not convert, and what else the
        // server would refuse in the rest of it.
        const named = new Set(c.problems.map((p) => p.field));
        const rest = (checkAll?.(c.record)?.refusals ?? [])
          .filter((r) => r.field === undefined || !named.has(r.field))
          .map((r) => ({ field: r.field ?? '', reason: r.error }));
        return { kind: 'rejected', line, raw: '', ...problemsReason([...c.problems, ...rest]), record };
      }
      if (preview && preview.left > 0 && c.record !== record) {
        preview.left--;
        notice(`${source.displayName}:${line} converted: ${JSON.stringify(c.record)}`);
      }
      return { kind: 'row', line, record: c.record };
    };
    async function* batches(maxRows: number): AsyncGenerator<InputItem[]> {
      for await (const items of source.batches(maxRows)) {
        // The header has been read with the first items.
        const { apply } = planned();
        yield items.map((item): InputItem => {
          if (item.sourceLine !== undefined) onOrigin(item.line, item.sourceLine);
          // A row that did not parse is named by field as the rest are (its text stays as the file had it).
          if (item.kind !== 'row') {
            const named = item.field && map[item.field] ? { ...item, field: map[item.field] } : item;
            return named.record ? { ...named, record: apply(named.record) } : named;
          }
          const applied = apply(item.record);
          const keyed = del ? keyRecord(applied, del) : { record: applied };
          if ('reason' in keyed)
            return {
              kind: 'rejected',
              line: item.line,
              raw: '',
              field: keyed.field,
              reason: keyed.reason,
              record: applied,
            };
          const out = converted(item.line, keyed.record);
          if (out.kind !== 'row') return out;
          const bad = check?.(out.record);
          return bad
            ? { kind: 'rejected', line: item.line, raw: '', field: bad.field, reason: bad.reason, record: keyed.record }
            : out;
        });
      }
      for (const text of hints?.messages(source.displayName) ?? []) notice(text);
    }
    return { ...source, columns: () => plan?.sourceColumns ?? source.columns(), batches };
  }

  /** The value conversion for a resource (null: none applies). */
  private conversion(resourceName: string): ValueConverter | null {
    if (!this.conversions.has(resourceName)) {
      const description = this.description(resourceName);
      if (!description && convertsAnything(this.plan.formats))
        this.notice(
          `the server does not describe resource "${resourceName}", so the value formats (--locale, ` +
            '--date-format, …) cannot tell which columns hold numbers, dates or booleans: values go as read',
        );
      this.conversions.set(resourceName, planConversion(this.plan.formats, description));
    }
    return this.conversions.get(resourceName) ?? null;
  }

  /** The client-side row check for a described resource. */
  private checkFor(resourceName: string, description: ResourceDescription): RowCheck {
    let check = this.checks.get(resourceName);
    if (!check) this.checks.set(resourceName, (check = rowChecker(description)));
    return check;
  }

  /** For a dry run against a server that describes the resource: the row check; else null. */
  private rowCheck(resourceName: string): RowCheck | null {
    if (!this.plan.dryRun) return null;
    const description = this.description(resourceName);
    return description ? this.checkFor(resourceName, description) : null;
  }

  /**
   * The resource's description (for a delete, with only its key required); an unknown resource on
   * a server that lists its resources stops the run, and so does a delete by a key it does not declare.
   */
  private description(name: string): ResourceDescription | null {
    if (!this.descriptions) return null;
    const found = this.descriptions.get(name);
    if (!found) {
      const names = [...this.descriptions.keys()];
      throw new BulkError(
        'unknown-resource',
        `unknown resource "${name}": the server has ${names.join(', ') || 'none'} ` +
          `(--resource names it; the default is the file name's stem)`,
      );
    }
    // An upsert needs its key, and may leave out other required fields (a partial update).
    if (this.plan.upsert) return keyedDescription(found, this.plan.upsert);
    if (!this.plan.delete) return found;
    checkDeleteKey(found, this.plan.delete);
    return keyedDescription(found, this.plan.delete);
  }
}
