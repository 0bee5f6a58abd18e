import { ExitCode, type ExitCodeValue } from './exit-codes.js';

/** An error that carries the exit code it should end the process with. Thrown, caught once in main. */
export class ExitError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    /** Extra lines a person needs to act on it (a hint, a resume command). */
    readonly hints: readonly string[] = [],
  ) {
    super(message);
    this.name = 'ExitError';
  }
}

export class UsageError extends ExitError {
  constructor(message: string, hints: readonly string[] = []) {
    super(message, ExitCode.Usage, hints);
    this.name = 'UsageError';
  }
}
