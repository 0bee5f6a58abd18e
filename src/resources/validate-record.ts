// One record checked against its resource: every field coerced, or every refusal with its field.
import { coerceField, Refusal } from './coerce-value.js';
import type { ResourceDef, SqlValue } from './resource-types.js';

/** One field's refusal. */
export interface FieldRefusal {
  field?: string;
  error: string;
}

/**
 * A record's values, or why it does not fit: every refusal at once, so a row with a bad date and
 * a bad boolean says both. `field` and `error` give them as one record error (the protocol lists
 * an index once): the first field, and its error followed by `; field: error` for each other.
 */
export type Validated =
  { ok: true; values: SqlValue[] } | { ok: false; field?: string; error: string; refusals?: FieldRefusal[] };

/** A record into one SQL value per field, or every reason it does not fit, each naming its field. */
export function validateRecord(def: ResourceDef, fieldNames: ReadonlySet<string>, record: unknown): Validated {
  if (!record || typeof record !== 'object' || Array.isArray(record))
    return { ok: false, error: 'must be a JSON object' };
  const obj = record as Record<string, unknown>;
  let refusals: FieldRefusal[] | null = null;
  for (const key in obj) {
    if (!fieldNames.has(key)) (refusals ??= []).push({ field: key, error: 'unknown field' });
  }
  const values: SqlValue[] = new Array(def.fields.length);
  for (let i = 0; i < def.fields.length; i++) {
    const field = def.fields[i]!;
    const value = coerceField(field, obj[field.name]);
    if (value instanceof Refusal) (refusals ??= []).push({ field: field.name, error: value.error });
    else values[i] = value;
  }
  return refusals ? refused(refusals) : { ok: true, values };
}

/** Refusals as one record error: the first field leads, the others follow in its text. */
export function refused(refusals: FieldRefusal[]): Validated & { ok: false } {
  const [first, ...rest] = refusals as [FieldRefusal, ...FieldRefusal[]];
  if (rest.length === 0) return { ok: false, field: first.field, error: first.error };
  const error = [first.error, ...rest.map((r) => (r.field ? `${r.field}: ${r.error}` : r.error))].join('; ');
  return { ok: false, field: first.field, error, refusals };
}
