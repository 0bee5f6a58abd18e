/** How a job checks its records against its resource, decided once per job. */
import type { ResourceDef, SqlValue } from '../../resources/resource-types.js';
import { refused, validateRecord, type FieldRefusal, type Validated } from '../../resources/validate-record.js';
import { coerceField, Refusal } from '../../resources/coerce-value.js';
import type { JobRecord } from '../store/store.js';

type Validate = (record: unknown) => ReturnType<typeof validateRecord>;

/**
 * How a job checks its records, decided once per job. An upsert's key fields are required (a
 * record without its key could match nothing and would be inserted as a near-duplicate); a
 * delete's records need only their key.
 */
export function recordValidator(resource: ResourceDef, job: Pick<JobRecord, 'jobType' | 'uniqueFields'>): Validate {
  const fieldNames = new Set(resource.fields.map((f) => f.name));
  if (job.jobType === 'insert') return (record) => validateRecord(resource, fieldNames, record);
  const keys = new Set(job.uniqueFields ?? []);
  const keyed: ResourceDef = {
    ...resource,
    fields: resource.fields.map((f) => (keys.has(f.name) ? { ...f, required: true } : f)),
  };
  // An upsert may leave out other required fields: it then updates only (the writer refuses a
  // record it would have to create, naming what creating one needs).
  const partial: ResourceDef = {
    ...keyed,
    fields: keyed.fields.map((f) => (keys.has(f.name) ? f : { ...f, required: false })),
  };
  if (job.jobType === 'upsert') return (record) => validateRecord(partial, fieldNames, record);
  const keyOnly: ResourceDef = {
    ...keyed,
    fields: keyed.fields.map((f) => (keys.has(f.name) ? f : { ...f, required: false })),
  };
  return (record) => {
    if (!record || typeof record !== 'object' || Array.isArray(record))
      return { ok: false, error: 'must be a JSON object' };
    const obj = record as Record<string, unknown>;
    const partial: Record<string, unknown> = {};
    for (const k of keys) partial[k] = obj[k];
    return validateRecord(keyOnly, fieldNames, partial);
  };
}

/**
 * The same check for rows read from a CSV body, by column, without a record object per row: the
 * record the header names is refused for each unknown column (in header order) and each field
 * that does not coerce from its column (a field with no column is missing), all at once. Null for
 * a delete, whose records are checked by key alone (recordValidator).
 */
export function columnValidator(
  resource: ResourceDef,
  job: Pick<JobRecord, 'jobType' | 'uniqueFields'>,
  columns: readonly string[],
): ((values: readonly string[]) => Validated) | null {
  if (job.jobType === 'delete') return null;
  const upsert = job.jobType === 'upsert';
  const keys = new Set(upsert ? (job.uniqueFields ?? []) : []);
  // As recordValidator: an upsert needs its key; other required fields only to create a record.
  const fields = resource.fields.map((f) =>
    keys.has(f.name) ? { ...f, required: true } : upsert ? { ...f, required: false } : f,
  );
  const unknown: FieldRefusal[] = columns
    .filter((c) => !fields.some((f) => f.name === c))
    .map((c) => ({ field: c, error: 'unknown field' }));
  const at = fields.map((f) => columns.indexOf(f.name));
  return (row) => {
    const values: SqlValue[] = new Array(fields.length);
    let refusals: FieldRefusal[] | null = unknown.length > 0 ? [...unknown] : null;
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i] as (typeof fields)[number];
      const col = at[i] as number;
      const value = coerceField(field, col < 0 ? undefined : row[col]);
      if (value instanceof Refusal) (refusals ??= []).push({ field: field.name, error: value.error });
      else values[i] = value;
    }
    return refusals ? refused(refusals) : { ok: true, values };
  };
}
