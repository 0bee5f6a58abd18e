// The shapes of a resource definition: fields, their types, unique keys and aggregates.
export const FIELD_TYPES = ['text', 'integer', 'decimal', 'boolean', 'date', 'datetime'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface FieldDef {
  name: string;
  type: FieldType;
  required: boolean;
  /** text: the most characters. */
  maxLength?: number;
  /** decimal: the most digits after the point. @default 2 */
  scale?: number;
}

export const AGGREGATE_FNS = [
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'count_by',
  'processed_count',
  'success_count',
  'error_count',
] as const;
export type AggregateFn = (typeof AGGREGATE_FNS)[number];

export interface AggregateDef {
  name: string;
  fn: AggregateFn;
  /** The field it reads; for count, sum, avg, min, max and count_by. */
  field?: string;
}

export interface ResourceDef {
  name: string;
  fields: FieldDef[];
  /** Each a set of field names that identify a record; upserts name one of them. */
  uniqueKeys: string[][];
  aggregates: AggregateDef[];
}

/** A record as the store writes it: one SQL value per field, in the resource's field order. */
export type SqlValue = string | number | null;
