import { ApiError } from '../client/api-error.js';
import { ExitError } from './errors.js';
import { ExitCode } from './exit-codes.js';

/** Runs a command body, turning API failures into the exit codes of the table. */
export async function withApiErrors<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    switch (err.kind) {
      case 'unreachable':
        throw new ExitError(err.message, ExitCode.Unreachable, ['Is the server running? Check --url / BULK_URL.']);
      case 'auth':
        throw new ExitError(err.message, ExitCode.StoppedEarly, ['Check the token in --token-file / BULK_TOKEN_FILE / BULK_TOKEN.']);
      default:
        throw new ExitError(err.message, ExitCode.StoppedEarly);
    }
  }
}
