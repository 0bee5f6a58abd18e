import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitParts, type LinePart } from '../../src/render/fit-parts.js';

const RUNS = Number(process.env.BULK_FC_RUNS ?? 300);
const word = fc.stringMatching(/^[a-z0-9,/:%–]{1,14}$/);
const part = fc.record({ words: fc.array(word, { minLength: 1, maxLength: 5 }), dropRank: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }) });
const words = (lines: string[]) => lines.join(' ').split(/\s+/).filter(Boolean);

describe('fitParts (generated lines and widths)', () => {
  it('never writes a line wider than the width (but for a lone word longer than a line), never cuts or reorders a word, never drops a part that must stay', () => {
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 8 }), fc.integer({ min: 20, max: 120 }), (spec, width) => {
        const parts: LinePart[] = spec.map((p) => ({ text: p.words.join(' '), dropRank: p.dropRank }));
        const lines = fitParts(parts, width, { sep: ' | ', indent: '  ' });
        for (const l of lines) if (l.length > width) expect(l.trim().includes(' '), `"${l}" is wider than ${width}`).toBe(false);
        // What is shown is the parts' words, each whole, in order: every part shown whole or (if it may be) left out.
        const shown = words(lines).filter((w) => w !== '|');
        let at = 0;
        for (const p of parts) {
          const ws = p.text.split(' ');
          if (ws.every((w, k) => shown[at + k] === w)) at += ws.length;
          else expect(p.dropRank, `"${p.text}" must stay: ${JSON.stringify(lines)}`).toBeDefined();
        }
        expect(at, JSON.stringify(lines)).toBe(shown.length);
        // Nothing is left out of a line that fits whole.
        const all = parts.map((p) => p.text).join(' | ');
        if (all.length <= width) expect(lines).toEqual([all]);
      }),
      { numRuns: RUNS },
    );
  });
});
