/**
 * (ext) POST /api/{resource}/bulk/match/?unique_fields=a,b: what a delete job with this body would
 * do now, without doing it. The body is read, limited and checked as a delete job's; the answer
 * names every row such a job would fail (an invalid key, no record with this key, or a key this
 * body already named) and counts the rest. Nothing is written, nothing is queued.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MatchResponse, RecordError } from '../../protocol/index.js';
import { bodyTypeOf, parseBulkBody } from '../http/bulk-body.js';
import { HttpError, readBody, sendJson } from '../http/http-io.js';
import { releaseAfter } from '../observe/heap-release.js';
import type { SqlValue } from '../../resources/resource-types.js';
import type { ServerContext } from '../server-context.js';
import { recordValidator } from '../worker/record-validator.js';
import { requiredKey } from './bulk-routes.js';
import { NO_RECORD } from '../../resources/refusal-reasons.js';

export async function matchKeys(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  resourceName: string,
  query: URLSearchParams,
): Promise<void> {
  const resource = ctx.resources.get(resourceName);
  if (!resource) throw new HttpError(404, `Unknown resource: ${resourceName}`);
  const keyFields = requiredKey(resource, query, 'a delete match');
  const body = await readBody(req, ctx.limits.maxBodyBytes);
  try {
    const { records } = parseBulkBody(bodyTypeOf(req.headers['content-type']), body, ctx.limits);
    const validate = recordValidator(resource, { jobType: 'delete', uniqueFields: keyFields });
    const keyIdx = keyFields.map((k) => resource.fields.findIndex((f) => f.name === k));
    const errors: RecordError[] = [];
    const first: { index: number; values: SqlValue[] }[] = [];
    const seen = new Set<string>();
    const label = keyFields.join(',');
    for (let i = 0; i < records.length; i++) {
      const v = validate(records.at(i));
      if (!v.ok) {
        errors.push(v.field ? { index: i, field: v.field, error: v.error } : { index: i, error: v.error });
        continue;
      }
      // A later row with a key an earlier one named finds no record: the earlier one deleted it.
      const key = JSON.stringify(keyIdx.map((k) => v.values[k] ?? null));
      if (seen.has(key)) errors.push({ index: i, field: label, error: NO_RECORD });
      else {
        seen.add(key);
        first.push({ index: i, values: v.values });
      }
    }
    const found = await ctx.store.existingKeys(resource, keyFields, first);
    for (const row of first)
      if (!found.has(row.index)) errors.push({ index: row.index, field: label, error: NO_RECORD });
    errors.sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    const answer: MatchResponse = { total_items: records.length, matched_items: found.size, errors };
    sendJson(res, 200, answer);
  } finally {
    releaseAfter(body.length);
  }
}
