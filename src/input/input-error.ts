// InputError: input that cannot be read on, naming the file, line and field.
import { BulkError } from '../errors/bulk-error.js';

/** Input that cannot be read on: names the file, and the line and field where it applies. */
export class InputError extends BulkError {
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly line?: number,
    readonly field?: string,
  ) {
    super('input', `${file}${line !== undefined ? `:${line}` : ''}: ${field ? `${field}: ` : ''}${detail}`);
    this.name = 'InputError';
  }
}
