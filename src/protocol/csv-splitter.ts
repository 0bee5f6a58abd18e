/**
 * The fast path for the default CSV dialect: splits CSV text into records exactly as csv-parse does
 * (test/input/csv-records-properties.ts keeps the two equal, on generated files cut into chunks).
 * Below both sides: the client reads files with it, and a server reads `text/csv` job bodies with it,
 * so both read the same bytes as the same values.
 */

/** Why the CSV cannot be read on from here; the codes are csv-parse's names for the same failures. */
export class CsvSplitError extends Error {
  constructor(
    readonly code: 'CSV_QUOTE_NOT_CLOSED' | 'CSV_MAX_RECORD_SIZE',
    message: string,
    /** Over the size cap: whether the record had a quote open (an odd number of quotes). */
    readonly quoteOpen = false,
  ) {
    super(message);
  }
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

/**
 * Splits CSV text into records of string values, chunk by chunk. Quoting as in RFC 4180 ("" is a
 * quote inside a quoted value); LF or CRLF ends a record, in any mix, and inside quotes both stay
 * as written; a quote inside an unquoted value is text (`12" screen`), and so is text after a closing
 * quote (`"a"b` reads as `"a"b`), as csv-parse reads them with relax_quotes.
 *
 * Written for speed, where csv-parse walks every byte through its state machine (a third of the
 * client's CPU on a 1M-row upload): here a line without a quote is one `split(',')`, and a quoted
 * value is found with `indexOf`.
 */
export class CsvSplitter {
  /** The start of a record not yet complete, waiting for the next chunk. */
  private carry = '';
  /** Chunks after the carry, not scanned yet: held apart so a long record is not re-read per chunk. */
  private pending: string[] = [];
  private pendingChars = 0;

  constructor(private readonly maxRecordChars: number) {}

  /**
   * Appends every record completed by `chunk` to `out`. A record longer than a chunk is scanned
   * again only once as much new text has come as was scanned before (or a line break that may end
   * it), so reading stays linear in the bytes read, and it is refused as soon as it passes the cap.
   */
  push(chunk: string, out: string[][]): void {
    if (this.carry.length > 0) {
      this.pending.push(chunk);
      this.pendingChars += chunk.length;
      if (this.carry.length + this.pendingChars > this.maxRecordChars) {
        const text = this.carry + this.pending.join('');
        this.drop();
        throw new CsvSplitError('CSV_MAX_RECORD_SIZE', 'record over the size cap', quoteOpen(text));
      }
      // Nothing can end before a line break; and a long record waits for as much text again.
      if (chunk.indexOf('\n') === -1 || this.pendingChars < this.carry.length) return;
    }
    const text = this.carry.length > 0 ? this.carry + this.pending.join('') : chunk;
    this.pending = [];
    this.pendingChars = 0;
    const done = this.scan(text, out, false);
    this.carry = done < text.length ? text.slice(done) : '';
    if (this.carry.length > this.maxRecordChars) {
      const open = quoteOpen(this.carry);
      this.drop();
      throw new CsvSplitError('CSV_MAX_RECORD_SIZE', 'record over the size cap', open);
    }
  }

  private drop(): void {
    this.carry = '';
    this.pending = [];
    this.pendingChars = 0;
  }

  /** The end of the input: the last record, if the text did not end with a line break. */
  end(out: string[][]): void {
    const text = this.carry + this.pending.join('');
    this.drop();
    if (text.length > 0) this.scan(text, out, true);
  }

  /** Reads whole records from `s`; returns where the first incomplete one starts (s.length if none). */
  private scan(s: string, out: string[][], final: boolean): number {
    const n = s.length;
    let i = 0;
    let quote = s.indexOf('"');
    while (i < n) {
      if (quote !== -1 && quote < i) quote = s.indexOf('"', i);
      let nl = s.indexOf('\n', i);
      if (quote === -1 || (nl !== -1 && quote > nl)) {
        // The last line of the text, without a line break: a CR that ends it is text (csv-parse keeps it).
        const last = nl === -1;
        if (last) {
          if (!final) return i;
          nl = n;
        }
        const end = !last && nl > i && s.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
        out.push(s.slice(i, end).split(','));
        i = nl + 1;
        continue;
      }
      const next = this.quotedRecord(s, i, final, out);
      if (next === -1) return i;
      i = next;
    }
    return n;
  }

  /**
   * A record with a quote in it, field by field, from `start`. Returns where the next record
   * starts, or -1 if the text ends before this record does (and more may come).
   */
  private quotedRecord(s: string, start: number, final: boolean, out: string[][]): number {
    const n = s.length;
    const values: string[] = [];
    let i = start;
    for (;;) {
      let prefix = '';
      if (i < n && s.charCodeAt(i) === QUOTE) {
        let value = '';
        let j = i + 1;
        for (;;) {
          const q = s.indexOf('"', j);
          if (q === -1) {
            if (final) throw new CsvSplitError('CSV_QUOTE_NOT_CLOSED', 'quote not closed');
            return -1;
          }
          // A quote at the very end of the text may be the first half of "": wait for more.
          if (q + 1 >= n && !final) return -1;
          if (q + 1 < n && s.charCodeAt(q + 1) === QUOTE) {
            value += s.slice(j, q + 1);
            j = q + 2;
            continue;
          }
          value += s.slice(j, q);
          i = q + 1;
          break;
        }
        if (i >= n) {
          if (!final) return -1;
          values.push(value);
          out.push(values);
          return n;
        }
        const c = s.charCodeAt(i);
        if (c === COMMA) {
          values.push(value);
          i++;
          continue;
        }
        if (c === LF) {
          values.push(value);
          out.push(values);
          return i + 1;
        }
        if (c === CR) {
          if (i + 1 >= n && !final) return -1;
          if (i + 1 < n && s.charCodeAt(i + 1) === LF) {
            values.push(value);
            out.push(values);
            return i + 2;
          }
        }
        // Text after the closing quote: csv-parse (relax_quotes) reads the value on as unquoted text,
        // with its two quotes kept, and so does this.
        prefix = `"${value}"`;
      }
      // Unquoted: up to the next comma or line break; a quote in it is text.
      let j = i;
      for (;;) {
        if (j >= n) {
          if (!final) return -1;
          values.push(prefix + s.slice(i, n));
          out.push(values);
          return n;
        }
        const c = s.charCodeAt(j);
        if (c === COMMA) {
          values.push(prefix + s.slice(i, j));
          i = j + 1;
          break;
        }
        if (c === LF) {
          values.push(prefix + s.slice(i, j > i && s.charCodeAt(j - 1) === CR ? j - 1 : j));
          out.push(values);
          return j + 1;
        }
        j++;
      }
    }
  }
}

/** Whether a record's text leaves a quote open: an odd number of quotes (a doubled one counts two). */
function quoteOpen(text: string): boolean {
  let n = 0;
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) n++;
  return n % 2 === 1;
}
