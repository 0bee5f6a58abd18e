/** How a job checks its records against its resource, decided once per job. */
import type { ResourceDef } from '../../resources/resource-types.js';
import { validateRecord } from '../../resources/validate-record.js';
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
