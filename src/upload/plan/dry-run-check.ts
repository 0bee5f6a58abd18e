/**
 * `--dry-run` against a server that describes its resources: each row is checked client-side as
 * the server would check it (unknown fields, required fields, types), with the server's own rules.
 */
import type { ResourceDescription } from '../../protocol/index.js';
import { FIELD_TYPES, type FieldDef, type FieldType, type ResourceDef } from '../../resources/resource-types.js';
import { validateRecord } from '../../resources/validate-record.js';

/** A row's refusal: the one record error, and each field's refusal in it. */
export type RowCheck = (
  record: Record<string, unknown>,
) => { field?: string; reason: string; refusals: { field?: string; error: string }[] } | null;

export function rowChecker(resource: ResourceDescription): RowCheck {
  const fields: FieldDef[] = resource.fields.map((f) => {
    // A type this client does not know is checked no further than being present when required.
    const known = (FIELD_TYPES as readonly string[]).includes(f.type);
    return {
      name: f.name,
      type: (known ? f.type : 'text') as FieldType,
      required: f.required,
      maxLength: known ? f.max_length : undefined,
      scale: f.scale,
    };
  });
  const def: ResourceDef = { name: resource.name, fields, uniqueKeys: resource.unique_keys, aggregates: [] };
  const names = new Set(fields.map((f) => f.name));
  return (record) => {
    const v = validateRecord(def, names, record);
    return v.ok
      ? null
      : { field: v.field, reason: v.error, refusals: v.refusals ?? [{ field: v.field, error: v.error }] };
  };
}
