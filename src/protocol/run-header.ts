/**
 * Which run a job belongs to, as the client says on job start (ext): the `Bulk-Run` request header
 * (`Bulk-Run: 20261206T202532Z-350a68`). The server keeps it with the job and groups its jobs into
 * a run (`/api/runs/`); a server without it ignores the header. A value of another shape is
 * ignored, never refused: it is only a label.
 */

export const RUN_HEADER = 'bulk-run';

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export function isRunId(value: string): boolean {
  return RUN_ID.test(value);
}

export function parseRunHeader(value: string | string[] | undefined): string | null {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  return text && isRunId(text) ? text : null;
}
