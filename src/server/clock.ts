/** Timestamps as the job API writes them: UTC, whole seconds, `Z`. */
export function nowIso(): string {
  return isoAt(Date.now());
}

export function isoAt(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
