import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const schema = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../schemas/upload-result.schema.json'), 'utf8')) as object;
const ajv = new Ajv2020({ allErrors: true, strict: true });
(addFormatsModule as unknown as (a: Ajv2020) => void)(ajv);
const validate = ajv.compile(schema);

/** Throws with every schema violation when `doc` is not a valid `--json` result. */
export function assertValidResult(doc: unknown): void {
  if (!validate(doc)) throw new Error(`--json result does not match its schema:\n${JSON.stringify(validate.errors, null, 2)}`);
}
