/**
 * (ext) What a server says about a resource, so a client can check a file's header before it sends
 * anything: `GET /api/resources/` lists them, `GET /api/resources/{name}/` describes one.
 */

export interface ResourceFieldDescription {
  name: string;
  /** text, integer, decimal, boolean, date or datetime. */
  type: string;
  required: boolean;
  /** text: the most characters. */
  max_length?: number;
  /** decimal: the most digits after the point. */
  scale?: number;
}

export interface ResourceDescription {
  name: string;
  fields: ResourceFieldDescription[];
  /** Each a set of field names that identify a record; an upsert names one of them. */
  unique_keys: string[][];
  /** (ext) The bodies a job of this resource may be sent as; absent: the guide's JSON array only. */
  body_types?: string[];
  /**
   * (ext) A start sent again under the same Idempotency-Key replays its first answer: a client may
   * retry a start whose answer was lost. Absent: a retry could make a second job of the rows.
   */
  idempotency_keys?: boolean;
}

export interface ResourceList {
  resources: ResourceDescription[];
}
