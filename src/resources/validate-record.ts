// One record checked against its resource: every field coerced, or the first refusal with its field.
import { coerceField, Refusal } from './coerce-value.js';
import type { ResourceDef, SqlValue } from './resource-types.js';

export type Validated = { ok: true; values: SqlValue[] } | { ok: false; field?: string; error: string };

/** A record into one SQL value per field, or the first reason it does not fit, naming the field. */
export function validateRecord(def: ResourceDef, fieldNames: ReadonlySet<string>, record: unknown): Validated {
  if (!record || typeof record !== 'object' || Array.isArray(record))
    return { ok: false, error: 'must be a JSON object' };
  const obj = record as Record<string, unknown>;
  for (const key in obj) {
    if (!fieldNames.has(key)) return { ok: false, field: key, error: 'unknown field' };
  }
  const values: SqlValue[] = new Array(def.fields.length);
  for (let i = 0; i < def.fields.length; i++) {
    const field = def.fields[i]!;
    const value = coerceField(field, obj[field.name]);
    if (value instanceof Refusal) return { ok: false, field: field.name, error: value.error };
    values[i] = value;
  }
  return { ok: true, values };
}
