/** (ext) Why a server's store cannot write, as its health, its refusals and a waiting job's status name it. */
export const STORE_TROUBLES = ['disk-full', 'read-only', 'locked', 'unavailable'] as const;
export type StoreTrouble = (typeof STORE_TROUBLES)[number];

/** Each in words a user and an operator both read. */
export const STORE_TROUBLE_TEXT: Readonly<Record<StoreTrouble, string>> = {
  'disk-full': "the server's disk is full",
  'read-only': "the server's database is read-only",
  locked: "the server's database is locked by another process",
  unavailable: "the server's database cannot be reached",
};

/** The words for a trouble a server named, or a generic line for one this client does not know. */
export function storeTroubleText(trouble: string): string {
  return (STORE_TROUBLE_TEXT as Record<string, string>)[trouble] ?? `the server's store cannot write (${trouble})`;
}
