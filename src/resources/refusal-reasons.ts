// Why a store refused a record, in the same words on every store, in a delete match's answer and
// in the client's hints: the resource model's own vocabulary, so neither side spells it twice.

/** An insert whose unique key is already taken. */
export const DUPLICATE_RECORD = 'duplicate of an existing record';
/** An update or delete whose key matches nothing. */
export const NO_RECORD = 'no record with this key';
