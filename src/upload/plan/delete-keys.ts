/**
 * What a delete run does to each row before it goes: the key fields only, every one of them with a
 * value (a row without its whole key could name no record), and a key the resource declares.
 * Applied in one place (the input planner's row stream), so dry runs and real runs agree.
 */
import type { DeleteByKey } from '../../client/job-api-client.js';
import { BulkError } from '../../errors/bulk-error.js';
import type { ResourceDescription } from '../../protocol/index.js';

/** The resource as a delete file is checked against it: the key fields required, nothing else. */
export function keyedDescription(resource: ResourceDescription, del: DeleteByKey): ResourceDescription {
  const keys = new Set(del.uniqueFields);
  const fields = resource.fields.map((f) => ({ ...f, required: keys.has(f.name) }));
  return { ...resource, fields };
}

/** Refuses, before anything is sent, key fields that are not one of the resource's unique keys. */
export function checkDeleteKey(resource: ResourceDescription, del: DeleteByKey): void {
  const wanted = new Set(del.uniqueFields);
  const match = resource.unique_keys.some((k) => k.length === wanted.size && k.every((f) => wanted.has(f)));
  if (match) return;
  const keys = resource.unique_keys.map((k) => k.join(',')).join(' or ') || 'none';
  throw new BulkError(
    'usage',
    `--unique-fields ${del.uniqueFields.join(',')} is not a unique key of ${resource.name}: its keys are ${keys}`,
    `e.g. --unique-fields ${resource.unique_keys[0]?.join(',') ?? '<key fields>'}`,
  );
}

/** The row as a delete sends it (its key fields only), or why it cannot go. */
export function keyRecord(
  record: Record<string, unknown>,
  del: DeleteByKey,
): { record: Record<string, unknown> } | { field: string; reason: string } {
  const key: Record<string, unknown> = {};
  for (const field of del.uniqueFields) {
    const value = record[field];
    if (value === undefined || value === null || value === '')
      return { field, reason: 'no value: a delete needs a value for every --unique-fields field' };
    key[field] = value;
  }
  return { record: key };
}
