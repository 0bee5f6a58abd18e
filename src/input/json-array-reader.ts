// Reads a JSON array of objects as rows, each with the line its element starts on, in constant memory.
import type { TextSource } from './decode.js';
import { InputError } from './input-error.js';
import type { InputItem } from './input-item.js';
import { parseJsonRecord } from './json-record.js';
import { DEFAULT_RECORD_LIMITS, overSizeReason, RAW_KEPT_CHARS, type RecordLimits } from './record-limits.js';

const NL = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const QUOTE = 34;
const COMMA = 44;
const BACKSLASH = 92;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const REST = 'the rest of the file was not read';

type Phase = 'start' | 'first' | 'between' | 'element' | 'after' | 'end';

/**
 * Streams a top-level JSON array in constant memory. A small scanner finds where each element
 * starts and ends (and the line it starts on), and JSON.parse reads each element alone.
 *
 * An element whose brackets balance but that JSON.parse refuses, that is not an object, or that is
 * over a limit (size, nesting depth) fails alone: the scanner checks both limits as it goes, stops
 * holding an element's text past the size limit, and reads on from the element's end. Broken
 * structure (mismatched brackets, a missing comma, an array never closed) stops the file: elements
 * before it are yielded, the element at the break is rejected, then InputError.
 */
export async function* readJsonArray(
  text: TextSource,
  file: string,
  maxRows: number,
  limits: RecordLimits = DEFAULT_RECORD_LIMITS,
): AsyncGenerator<InputItem[]> {
  const scanner = new ArrayScanner(file, { test: (v) => text.undecodable(v), reason: text.undecodableReason }, limits);
  const drain = function* (): Generator<InputItem[]> {
    const items = scanner.take();
    if (items.length <= maxRows) {
      if (items.length > 0) yield items;
      return;
    }
    for (let i = 0; i < items.length; i += maxRows) yield items.slice(i, i + maxRows);
  };
  for await (const chunk of text.chunks) {
    let broken: InputError | null = null;
    try {
      scanner.feed(chunk);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      broken = err;
    }
    yield* drain();
    if (broken) throw broken;
  }
  let broken: InputError | null = null;
  try {
    scanner.finish();
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    broken = err;
  }
  yield* drain();
  if (broken) throw broken;
}

class ArrayScanner {
  private phase: Phase = 'start';
  private line = 1;
  /** The brackets open in the current element, innermost last, up to the depth limit. */
  private readonly stack: number[] = [];
  /** Brackets open beyond the depth limit: counted, not kept, so memory stays bounded. */
  private overflow = 0;
  /** The start of the current element once it is over the size limit; its text is no longer held. */
  private oversized: string | null = null;
  private inString = false;
  private escaped = false;
  private elementLine = 0;
  private lastElementLine = 0;
  /** The current element's text, when it spans chunks. */
  private parts: string[] = [];
  private partsLength = 0;
  private items: InputItem[] = [];

  constructor(
    private readonly file: string,
    private readonly undecodable: { test(value: string): boolean; reason: string },
    private readonly limits: RecordLimits,
  ) {}

  take(): InputItem[] {
    const items = this.items;
    this.items = [];
    return items;
  }

  feed(chunk: string): void {
    let start = this.phase === 'element' ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (this.phase === 'element') {
        if (this.inString) {
          if (this.escaped) this.escaped = false;
          else if (c === BACKSLASH) this.escaped = true;
          else if (c === QUOTE) this.inString = false;
          else if (c === NL) this.line++;
        } else if (c === QUOTE) {
          this.inString = true;
        } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
          if (this.stack.length < this.limits.maxDepth) this.stack.push(c);
          else this.overflow++;
        } else if (this.overflow > 0 && (c === CLOSE_BRACE || c === CLOSE_BRACKET)) {
          // Past the limit only the count is kept (the element fails for its depth anyway), so a
          // run of brackets costs no memory.
          this.overflow--;
        } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
          const open = this.stack.pop();
          if (open === undefined) {
            // A scalar element, ended by the array's closing bracket.
            if (c === CLOSE_BRACE) throw this.brokenElement('unexpected "}"', chunk.slice(start, i + 1));
            this.endElement(chunk.slice(start, i));
            this.phase = 'end';
          } else if (open !== (c === CLOSE_BRACE ? OPEN_BRACE : OPEN_BRACKET)) {
            throw this.brokenElement(
              `"${String.fromCharCode(c)}" on line ${this.line} closes a "${String.fromCharCode(open)}"`,
              chunk.slice(start, i + 1),
            );
          } else if (this.stack.length === 0) {
            this.endElement(chunk.slice(start, i + 1));
            this.phase = 'after';
          }
        } else if (this.stack.length === 0 && (c === COMMA || c === SPACE || c === NL || c === TAB || c === CR)) {
          this.endElement(chunk.slice(start, i));
          this.phase = c === COMMA ? 'between' : 'after';
          if (c === NL) this.line++;
        } else if (c === NL) {
          this.line++;
        }
        continue;
      }
      if (c === NL) {
        this.line++;
        continue;
      }
      if (c === SPACE || c === TAB || c === CR) continue;
      const found = String.fromCharCode(c);
      switch (this.phase) {
        case 'start':
          if (c !== OPEN_BRACKET)
            throw new InputError(
              this.file,
              `expected a JSON array of objects, but the file starts with "${found}"`,
              this.line,
            );
          this.phase = 'first';
          break;
        case 'first':
        case 'between':
          if (c === CLOSE_BRACKET && this.phase === 'first') {
            this.phase = 'end';
            break;
          }
          if (c === COMMA || c === CLOSE_BRACKET)
            throw this.broken(`malformed JSON: unexpected "${found}" where an element should be`);
          this.phase = 'element';
          this.elementLine = this.line;
          this.stack.length = 0;
          this.overflow = 0;
          this.oversized = null;
          this.inString = false;
          this.escaped = false;
          start = i;
          i--; // read this character again, as the element's first
          break;
        case 'after':
          if (c === COMMA) this.phase = 'between';
          else if (c === CLOSE_BRACKET) this.phase = 'end';
          else
            throw this.broken(
              `malformed JSON: expected "," or "]" after the element on line ${this.lastElementLine}, found "${found}"`,
            );
          break;
        case 'end':
          throw new InputError(this.file, `malformed JSON: text after the closing "]" of the array`, this.line);
      }
    }
    if (this.phase === 'element' && this.oversized === null) {
      const piece = chunk.slice(start);
      this.parts.push(piece);
      this.partsLength += piece.length;
      if (this.partsLength > this.limits.maxRecordChars) {
        this.oversized =
          this.parts.length > 1 || piece.length > RAW_KEPT_CHARS
            ? (this.parts[0] as string).slice(0, RAW_KEPT_CHARS)
            : piece;
        this.parts = [];
        this.partsLength = 0;
      }
    }
  }

  /** At the end of the input: anything but a closed array (or an empty file) is broken. */
  finish(): void {
    if (this.phase === 'start' || this.phase === 'end') return;
    if (this.phase === 'element') throw this.brokenElement('the file ends inside this element', '');
    throw new InputError(this.file, 'malformed JSON: the array is not closed (the file ends early)', this.line);
  }

  private endElement(last: string): void {
    this.lastElementLine = this.elementLine;
    if (this.oversized !== null) {
      this.items.push({
        kind: 'rejected',
        line: this.elementLine,
        raw: `${this.oversized.slice(0, RAW_KEPT_CHARS)}…`,
        reason: overSizeReason(this.limits),
      });
      this.oversized = null;
      return;
    }
    let text = last;
    if (this.parts.length > 0) {
      this.parts.push(last);
      text = this.parts.join('');
      this.parts = [];
      this.partsLength = 0;
    }
    if (text.length > this.limits.maxRecordChars) {
      this.items.push({
        kind: 'rejected',
        line: this.elementLine,
        raw: `${text.slice(0, RAW_KEPT_CHARS)}…`,
        reason: overSizeReason(this.limits),
      });
    } else {
      // Checked as NDJSON lines are, in the same order (UTF-8, JSON, an object, depth), so both
      // formats give one row the same reason.
      this.items.push(parseJsonRecord(text, this.elementLine, this.undecodable, this.limits));
    }
  }

  /** The element being read is where the structure breaks: it fails, and the file stops. */
  private brokenElement(detail: string, tail: string): InputError {
    const reason = `malformed JSON: ${detail}: ${REST}`;
    const raw = (this.oversized ?? (this.parts.length > 0 ? (this.parts[0] as string) : tail)).slice(0, RAW_KEPT_CHARS);
    this.items.push({ kind: 'rejected', line: this.elementLine, raw, reason });
    return new InputError(this.file, reason, this.elementLine);
  }

  /** A break between elements. Whatever starts on a line no element started on fails with it. */
  private broken(detail: string): InputError {
    const reason = `${detail}: ${REST}`;
    if (this.line > this.lastElementLine) this.items.push({ kind: 'rejected', line: this.line, raw: '', reason });
    return new InputError(this.file, reason, this.line);
  }
}
