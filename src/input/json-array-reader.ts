import { InputError } from './input-error.js';
import type { InputItem } from './input-item.js';
import { ERROR_COLUMN, SOURCE_LINE_COLUMN } from './reserved-columns.js';

type Phase = 'start' | 'first' | 'between' | 'element' | 'after' | 'end';

/**
 * Streams a top-level JSON array in constant memory: a small scanner finds where each element
 * starts and ends (and on which line it starts), and JSON.parse reads each element alone. Broken
 * structure stops the file at its line; an element that is not an object fails alone.
 */
export async function* readJsonArray(chunks: AsyncIterable<string>, file: string, maxRows: number): AsyncGenerator<InputItem[]> {
  // An object, so TypeScript does not narrow it across the closure that changes it.
  const st: { phase: Phase } = { phase: 'start' };
  let line = 1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let elementLine = 0;
  let parts: string[] = [];
  let items: InputItem[] = [];

  const finish = (text: string) => {
    const item = parseElement(text, elementLine, file);
    items.push(item);
    st.phase = 'after';
  };

  for await (const chunk of chunks) {
    let elementStart = st.phase === 'element' ? 0 : -1;
    let broken: InputError | null = null;
    try {
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk.charCodeAt(i);
        if (st.phase === 'element') {
          if (inString) {
            if (escaped) escaped = false;
            else if (c === 92 /* \ */) escaped = true;
            else if (c === 34 /* " */) inString = false;
            else if (c === 10) line++;
            continue;
          }
          if (c === 34) inString = true;
          else if (c === 123 /* { */ || c === 91 /* [ */) depth++;
          else if (c === 125 /* } */ || c === 93 /* ] */) {
            if (depth === 0) {
              // A scalar element ended by the array's closing bracket.
              parts.push(chunk.slice(elementStart, i));
              finish(parts.join(''));
              parts = [];
              st.phase = 'end';
              continue;
            }
            depth--;
            if (depth === 0) {
              parts.push(chunk.slice(elementStart, i + 1));
              finish(parts.join(''));
              parts = [];
            }
          } else if (depth === 0 && (c === 44 /* , */ || c === 10 || c === 32 || c === 9 || c === 13)) {
            parts.push(chunk.slice(elementStart, i));
            finish(parts.join(''));
            parts = [];
            if (c === 44) st.phase = 'between';
            if (c === 10) line++;
          } else if (c === 10) line++;
          continue;
        }
        if (c === 10) {
          line++;
          continue;
        }
        if (c === 32 || c === 9 || c === 13) continue;
        if (st.phase === 'start') {
          if (c !== 91) throw new InputError(file, 'expected a JSON array of objects (the file must start with [)', line);
          st.phase = 'first';
        } else if (st.phase === 'first' || st.phase === 'between') {
          if (c === 93 && st.phase === 'first') {
            st.phase = 'end';
            continue;
          }
          if (c === 44 || c === 93) throw new InputError(file, `malformed JSON: unexpected "${String.fromCharCode(c)}"`, line);
          st.phase = 'element';
          elementLine = line;
          elementStart = i;
          depth = 0;
          inString = false;
          escaped = false;
          i--; // rescan this character as part of the element
        } else if (st.phase === 'after') {
          if (c === 44) st.phase = 'between';
          else if (c === 93) st.phase = 'end';
          else throw new InputError(file, `malformed JSON: expected , or ] after an element, found "${String.fromCharCode(c)}"`, line);
        } else if (st.phase === 'end') {
          throw new InputError(file, 'malformed JSON: text after the closing ] of the array', line);
        }
        if (items.length >= maxRows && st.phase !== 'element') {
          yield items;
          items = [];
        }
      }
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      broken = err;
    }
    if (broken) {
      // Elements before the break still go; then the file stops at its line.
      if (items.length > 0) yield items;
      throw broken;
    }
    if (st.phase === 'element') parts.push(chunk.slice(elementStart));
    if (items.length > 0) {
      yield items;
      items = [];
    }
  }
  if (st.phase === 'start') return; // an empty file holds no rows
  if (st.phase !== 'end') throw new InputError(file, 'malformed JSON: the array is not closed (the file ends early)', line);
}

function parseElement(text: string, line: number, file: string): InputItem {
  let value: unknown;
  try {
      value = JSON.parse(text);
    } catch (err) {
      throw new InputError(file, `malformed JSON: ${(err as Error).message}`, line);
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      return { kind: 'rejected', line, raw: text.slice(0, 1000), reason: `expected a JSON object, found ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}` };
    }
    if (text.includes('\uFFFD')) return { kind: 'rejected', line, raw: text.slice(0, 1000), reason: 'invalid UTF-8' };
    const record = value as Record<string, unknown>;
    delete record[SOURCE_LINE_COLUMN];
    delete record[ERROR_COLUMN];
    return { kind: 'row', line, record };
  }
