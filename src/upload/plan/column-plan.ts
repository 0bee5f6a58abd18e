/**
 * From a file's columns to a resource's fields: `--map` renames, `--ignore-unknown` drops what the
 * resource does not have, and a header that cannot fit the resource is refused before any job,
 * with one message naming the columns and the likely cause. The plan also turns a record back into
 * the file's own column names, so the failed-rows file stays valid input with the same flags.
 */
import type { ResourceDescription } from '../../protocol/index.js';
import { DETECTED_DELIMITERS, showDelimiter } from '../../input/csv-dialect.js';
import { closestName } from './closest-name.js';
import { BulkError } from '../../errors/bulk-error.js';

/** The header does not fit the resource: nothing is sent (exit 2). */
/** A header that cannot fit its resource: refused before any job, a configuration error (exit 2). */
export class HeaderMismatchError extends BulkError {
  constructor(message: string) {
    super('config', message);
    this.name = 'HeaderMismatchError';
  }
}

export interface ColumnPlan {
  /** The file's columns that are sent, under their names in the file (the failed-rows header). */
  sourceColumns: string[] | null;
  /** A record as read → the record sent. */
  apply(record: Record<string, unknown>): Record<string, unknown>;
  /** A record sent → the same row under the file's names, nulls written back as the file had them. */
  restore(record: Record<string, unknown>): Record<string, unknown>;
}

export interface PlanInput {
  /** How errors name the file. */
  file: string;
  /** The CSV header (bulk's reserved columns left out); null for JSON formats. */
  header: string[] | null;
  /** Source column (or key) → field. */
  map: Record<string, string>;
  ignoreUnknown: boolean;
  resourceName: string;
  /** The server's description of the resource; null when it gives none (the check is skipped). */
  resource: ResourceDescription | null;
  /** The delimiter the header was split on. */
  delimiter?: string;
  /** The text a CSV cell holds for null: written back in failed rows. */
  nullValue?: string;
}

/** `--map a=b,c=d` (also a profile's `columns`): source column → field. */
export function parseColumnMap(text: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const pair of text.split(',')) {
    if (pair.trim() === '') continue;
    const at = pair.indexOf('=');
    const from = pair.slice(0, at).trim();
    const to = pair.slice(at + 1).trim();
    if (at < 1 || !from || !to)
      throw new Error(`"${pair}" is not source=field (e.g. --map amt=amount,acct=account_id)`);
    if (map[from] !== undefined) throw new Error(`"${from}" is mapped twice`);
    map[from] = to;
  }
  return map;
}

const identity = (r: Record<string, unknown>) => r;

/** The plan for one file; throws HeaderMismatchError when its header cannot fit the resource. */
export function planColumns(input: PlanInput): { plan: ColumnPlan; notices: string[] } {
  const { header, map, resource } = input;
  const notices: string[] = [];
  const known = resource ? new Set(resource.fields.map((f) => f.name)) : null;
  if (input.ignoreUnknown && !known)
    notices.push(
      `${input.file}: the server does not describe resource "${input.resourceName}", ` +
        `so --ignore-unknown cannot tell which columns to drop: none are dropped`,
    );
  let dropped = new Set<string>();
  if (header) {
    const fieldOf = (c: string) => map[c] ?? c;
    const twice = header.map(fieldOf).find((f, i, all) => all.indexOf(f) !== i);
    if (twice) {
      const columns = header.filter((c) => fieldOf(c) === twice).join(', ');
      throw new HeaderMismatchError(`${input.file}: two columns become field "${twice}" (${columns}): check --map`);
    }
    if (resource && known) {
      const unknown = header.filter((c) => !known.has(fieldOf(c)));
      const present = new Set(header.map(fieldOf));
      const missing = resource.fields.filter((f) => f.required && !present.has(f.name)).map((f) => f.name);
      const allUnknown = header.length > 0 && unknown.length === header.length;
      if (missing.length > 0 || allUnknown || (unknown.length > 0 && !input.ignoreUnknown)) {
        throw new HeaderMismatchError(headerMessage(input, resource, unknown, missing, allUnknown));
      }
      if (unknown.length > 0)
        notices.push(
          `${input.file}: not sent (--ignore-unknown): ${unknown.join(', ')}, not fields of ${input.resourceName}`,
        );
      dropped = new Set(unknown);
    }
  }
  const sourceColumns = header ? header.filter((c) => !dropped.has(c)) : null;
  const renames = Object.entries(map);
  const dropKey = !header && input.ignoreUnknown && known ? (field: string) => !known.has(field) : null;
  const back = new Map(renames.map(([from, to]) => [to, from]));
  const apply = (record: Record<string, unknown>) => {
    const out: Record<string, unknown> = {};
    for (const key in record) {
      if (dropped.has(key)) continue;
      const field = map[key] ?? key;
      if (dropKey?.(field)) continue;
      out[field] = record[key];
    }
    return out;
  };
  const restore = (record: Record<string, unknown>) => {
    const out: Record<string, unknown> = {};
    for (const key in record) {
      const v = record[key];
      out[back.get(key) ?? key] = v === null && input.nullValue !== undefined ? input.nullValue : v;
    }
    return out;
  };
  // Most runs rename nothing: rows then go through untouched, with no copy per row.
  const renaming = renames.length > 0 || dropped.size > 0 || dropKey !== null;
  return {
    plan: {
      sourceColumns,
      apply: renaming ? apply : identity,
      restore: renaming || input.nullValue !== undefined ? restore : identity,
    },
    notices,
  };
}

/** One message: what does not fit, and the likeliest reason. */
function headerMessage(
  input: PlanInput,
  resource: ResourceDescription,
  unknown: string[],
  missing: string[],
  allUnknown: boolean,
): string {
  const header = input.header as string[];
  const fields = resource.fields.map((f) => f.name);
  const parts: string[] = [];
  if (allUnknown)
    parts.push(
      `none of its columns is a field of ${resource.name} (${header.map((c) => JSON.stringify(c)).join(', ')})`,
    );
  else if (unknown.length > 0)
    parts.push(
      `column${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => JSON.stringify(c)).join(', ')} ` +
        `${unknown.length > 1 ? 'are not fields' : 'is not a field'} of ${resource.name}`,
    );
  // With no column known, the missing fields say nothing more: the columns are the news.
  if (missing.length > 0 && !allUnknown)
    parts.push(
      `required field${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ` +
        `${missing.length > 1 ? 'are' : 'is'} missing`,
    );
  const hints: string[] = [];
  const only = header.length === 1 ? (header[0] as string) : null;
  const inside = only ? DETECTED_DELIMITERS.find((d) => d !== input.delimiter && only.includes(d)) : undefined;
  if (only !== null && inside)
    hints.push(
      `the header has one column containing ${showDelimiter(inside)} — try --delimiter ${showDelimiter(inside)}`,
    );
  const present = new Set(header.map((c) => input.map[c] ?? c));
  const free = fields.filter((f) => !present.has(f));
  const guesses = unknown
    .map((c) => [c, closestName(c, free)] as const)
    .filter((g): g is readonly [string, string] => g[1] !== null);
  if (guesses.length > 0) {
    hints.push(
      `did you mean ${guesses.map(([c, f]) => `${f} for ${c}`).join(', ')}? ` +
        `(--map ${guesses.map(([c, f]) => `${c}=${f}`).join(',')})`,
    );
  }
  if (hints.length === 0 && unknown.length > 0 && missing.length === 0)
    hints.push('--ignore-unknown leaves them out, --map renames them');
  if (hints.length === 0) hints.push(`the fields of ${resource.name} are ${fields.join(', ')}`);
  return `${input.file}: the header does not fit resource ${resource.name}: ${parts.join('; ')} — ${hints.join('; ')}`;
}
