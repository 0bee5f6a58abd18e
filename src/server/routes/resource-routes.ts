/**
 * (ext) `GET /api/resources/` and `GET /api/resources/{name}/`: the resources this server stores,
 * with their fields, types, required fields and unique keys, so a client checks a header first.
 */
import type { ServerResponse } from 'node:http';
import { BULK_BODY_TYPES, type ResourceDescription } from '../../protocol/index.js';
import { HttpError, sendJson } from '../http/http-io.js';
import type { ResourceDef } from '../../resources/resource-types.js';
import type { ServerContext } from '../server-context.js';

export function describeResource(def: ResourceDef): ResourceDescription {
  return {
    name: def.name,
    fields: def.fields.map((f) => ({
      name: f.name,
      type: f.type,
      required: f.required,
      ...(f.maxLength !== undefined ? { max_length: f.maxLength } : {}),
      ...(f.type === 'decimal' ? { scale: f.scale ?? 2 } : {}),
    })),
    unique_keys: def.uniqueKeys.map((k) => [...k]),
    body_types: [...BULK_BODY_TYPES],
    idempotency_keys: true,
  };
}

export function listResources(ctx: ServerContext, res: ServerResponse): void {
  sendJson(res, 200, { resources: [...ctx.resources.values()].map(describeResource) });
}

export function getResource(ctx: ServerContext, res: ServerResponse, name: string): void {
  const def = ctx.resources.get(name);
  if (!def) throw new HttpError(404, `Unknown resource: ${name}`);
  sendJson(res, 200, describeResource(def));
}
