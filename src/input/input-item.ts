// What a reader yields: a parsed row or a rejected one, each with the line of the file it starts on.
export type InputFormat = 'csv' | 'json' | 'ndjson';
/** An encoding label as given (`utf8`, `latin1`, `windows-1252`, `utf-16be`): see text-codec.ts. */
export type InputEncoding = string;

/** A parsed record and the 1-based physical line of the file where it starts. */
export interface InputRow {
  kind: 'row';
  line: number;
  /** A failed-rows file's row: the line it came from in the original input (its `_source_line`). */
  sourceLine?: number;
  record: Record<string, unknown>;
}

/** A row that could not be parsed: it fails alone, with its line and a reason. */
export interface InputRejected {
  kind: 'rejected';
  line: number;
  sourceLine?: number;
  /** Its source text, as far as it is sensible to keep. */
  raw: string;
  field?: string;
  reason: string;
  /** A row that parsed but was refused before sending (a dry run's check): its record, as it would be sent. */
  record?: Record<string, unknown>;
}

export type InputItem = InputRow | InputRejected;
