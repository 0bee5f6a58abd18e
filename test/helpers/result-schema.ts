import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const schemaOf = (name: string) =>
  JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../schemas', name), 'utf8')) as object;
const ajv = new Ajv2020({ allErrors: true, strict: true });
(addFormatsModule as unknown as (a: Ajv2020) => void)(ajv);
const validate = ajv.compile(schemaOf('upload-result.schema.json'));
const validateError = ajv.compile(schemaOf('error-result.schema.json'));

/** Throws with every schema violation when `doc` is not a valid `--json` result. */
export function assertValidResult(doc: unknown): void {
  if (!validate(doc))
    throw new Error(`--json result does not match its schema:\n${JSON.stringify(validate.errors, null, 2)}`);
}

/** Throws with every schema violation when `doc` is not a valid `--json` error document of a command other than upload. */
export function assertValidErrorResult(doc: unknown): void {
  if (!validateError(doc))
    throw new Error(
      `--json error document does not match its schema:\n${JSON.stringify(validateError.errors, null, 2)}`,
    );
}
