/**
 * The offending value of a record error, as kept beside it: the field's value as the client sent
 * it (a refused record) or as it was written (a duplicate key: its key fields' values joined),
 * cut to VALUE_MAX characters so one huge cell cannot swell the errors table.
 */
import type { ResourceDef, SqlValue } from '../../resources/resource-types.js';

export const VALUE_MAX = 200;

function cut(text: string): string {
  return text.length > VALUE_MAX ? `${text.slice(0, VALUE_MAX - 1)}…` : text;
}

function show(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return cut(typeof value === 'string' ? value : JSON.stringify(value));
}

/** The value of `field` in a record as the client sent it; null when it has none (a missing field). */
export function sentValue(record: unknown, field: string | undefined): string | null {
  if (!field || !record || typeof record !== 'object' || Array.isArray(record)) return null;
  return show((record as Record<string, unknown>)[field]);
}

/** The values of the fields a writer's error names (`a,b` for a key), from the row as written. */
export function writtenValue(def: ResourceDef, values: readonly SqlValue[], field: string | undefined): string | null {
  if (!field) return null;
  const parts = field.split(',').map((name) => {
    const i = def.fields.findIndex((f) => f.name === name.trim());
    return i < 0 ? null : values[i];
  });
  if (parts.every((p) => p === null || p === undefined)) return null;
  return cut(parts.map((p) => (p === null || p === undefined ? '' : String(p))).join(','));
}

/** A stored error as the protocol shows it: the value is kept, not returned from a commit. */
export function withoutValue<E extends { value?: string | null }>(e: E): Omit<E, 'value'> {
  const { value: _value, ...rest } = e;
  return rest;
}

/** A writer's refusal of row `index` as a stored error, with the value of the fields it names. */
export function refusalOf(
  def: ResourceDef,
  index: number,
  values: readonly SqlValue[],
  outcome: { field?: string; error: string },
): { index: number; field?: string; error: string; value: string | null } {
  const value = writtenValue(def, values, outcome.field);
  return outcome.field === undefined
    ? { index, error: outcome.error, value }
    : { index, field: outcome.field, error: outcome.error, value };
}
