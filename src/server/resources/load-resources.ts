// The resources a server accepts: the built-in ones plus (overriding them) those of a resources
// file, parsed and checked into definitions; a bad file is refused with one line.
import { readFileSync } from 'node:fs';
import { BUILTIN_RESOURCES } from '../../resources/builtin-resources.js';
import {
  AGGREGATE_FNS,
  FIELD_TYPES,
  type AggregateDef,
  type AggregateFn,
  type FieldDef,
  type FieldType,
  type ResourceDef,
} from '../../resources/resource-types.js';
import { BulkError } from '../../errors/bulk-error.js';

/** A server setting that cannot be used (exit 2 through the error table). */
export class ResourceConfigError extends BulkError {
  constructor(message: string) {
    super('config', message);
  }
}

const NAME_RE = /^[a-z][a-z0-9_]{0,62}$/;
const FIELD_FNS: ReadonlySet<AggregateFn> = new Set(['count_by', 'sum', 'avg', 'min', 'max']);
const NUMERIC: ReadonlySet<FieldType> = new Set(['integer', 'decimal']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validates a resources document into definitions, with errors that name the resource and field.
 * Names become SQL identifiers, so they are held to a strict pattern.
 */
export function parseResources(doc: unknown, source: string): Map<string, ResourceDef> {
  const err = (where: string, what: string) => new ResourceConfigError(`${source}: ${where}: ${what}`);
  if (!isObject(doc) || !isObject(doc.resources)) throw err('top level', 'expected {"resources": {"name": {...}}}');
  const out = new Map<string, ResourceDef>();
  for (const [name, raw] of Object.entries(doc.resources)) {
    const at = `resource "${name}"`;
    if (!NAME_RE.test(name)) throw err(at, 'names are lower case letters, digits and _, starting with a letter');
    // Each resource is a table beside the server's own: those prefixes belong to bulk and SQLite.
    if (/^(bulk_|sqlite_)/.test(name)) throw err(at, 'names starting with bulk_ or sqlite_ are reserved');
    if (!isObject(raw) || !isObject(raw.fields)) throw err(at, 'needs "fields": {"name": {"type": ...}}');
    const fields: FieldDef[] = [];
    for (const [fname, f] of Object.entries(raw.fields)) {
      const fat = `${at}, field "${fname}"`;
      if (!NAME_RE.test(fname)) throw err(fat, 'names are lower case letters, digits and _, starting with a letter');
      if (['job_id', 'job_index', 'id'].includes(fname)) throw err(fat, 'this name is reserved');
      if (!isObject(f)) throw err(fat, 'must be an object like {"type": "text"}');
      if (!FIELD_TYPES.includes(f.type as FieldType))
        throw err(fat, `type must be one of ${FIELD_TYPES.join(', ')} (got ${JSON.stringify(f.type)})`);
      for (const key of Object.keys(f))
        if (!['type', 'required', 'max_length', 'scale'].includes(key)) throw err(fat, `unknown setting "${key}"`);
      if (f.required !== undefined && typeof f.required !== 'boolean') throw err(fat, 'required must be true or false');
      if (f.max_length !== undefined && (!Number.isInteger(f.max_length) || (f.max_length as number) < 1))
        throw err(fat, 'max_length must be a whole number of at least 1');
      if (f.scale !== undefined && (!Number.isInteger(f.scale) || (f.scale as number) < 0 || (f.scale as number) > 18))
        throw err(fat, 'scale must be a whole number from 0 to 18');
      fields.push({
        name: fname,
        type: f.type as FieldType,
        required: f.required === true,
        maxLength: f.max_length as number | undefined,
        scale: f.scale as number | undefined,
      });
    }
    if (fields.length === 0) throw err(at, 'has no fields');
    const names = new Set(fields.map((f) => f.name));
    const uniqueKeys: string[][] = [];
    if (raw.unique !== undefined) {
      if (!Array.isArray(raw.unique)) throw err(at, '"unique" must be a list of field lists, e.g. [["order_id"]]');
      for (const key of raw.unique) {
        if (!Array.isArray(key) || key.length === 0 || !key.every((k) => typeof k === 'string'))
          throw err(at, '"unique" must be a list of field lists, e.g. [["order_id"]]');
        for (const k of key as string[])
          if (!names.has(k)) throw err(`${at}, unique key (${key.join(', ')})`, `"${k}" is not a field`);
        uniqueKeys.push(key as string[]);
      }
    }
    const aggregates: AggregateDef[] = [];
    if (raw.aggregates !== undefined) {
      if (!isObject(raw.aggregates)) throw err(at, '"aggregates" must be an object');
      for (const [aname, a] of Object.entries(raw.aggregates)) {
        const aat = `${at}, aggregate "${aname}"`;
        if (!isObject(a) || !AGGREGATE_FNS.includes(a.fn as AggregateFn))
          throw err(aat, `fn must be one of ${AGGREGATE_FNS.join(', ')}`);
        const fn = a.fn as AggregateFn;
        if (FIELD_FNS.has(fn) || (fn === 'count' && a.field !== undefined)) {
          if (typeof a.field !== 'string' || !names.has(a.field))
            throw err(aat, `needs "field", one of ${[...names].join(', ')}`);
          const type = fields.find((f) => f.name === a.field)?.type as FieldType;
          if ((fn === 'sum' || fn === 'avg') && !NUMERIC.has(type))
            throw err(aat, `${fn} needs an integer or decimal field; "${a.field}" is ${type}`);
        }
        aggregates.push({ name: aname, fn, field: a.field as string | undefined });
      }
    }
    out.set(name, { name, fields, uniqueKeys, aggregates });
  }
  return out;
}

/** The built-in resources, plus (and overridden by) those of a --resources file. */
export function loadResources(file?: string): Map<string, ResourceDef> {
  const all = parseResources(BUILTIN_RESOURCES, 'built-in resources');
  if (!file) return all;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ResourceConfigError(
      `${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
  for (const [name, def] of parseResources(doc, file)) all.set(name, def);
  return all;
}
