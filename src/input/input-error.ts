/** Input that cannot be read on: names the file, and the line and field where it applies. */
export class InputError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly line?: number,
    readonly field?: string,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${field ? `${field}: ` : ''}${detail}`);
    this.name = 'InputError';
  }
}
