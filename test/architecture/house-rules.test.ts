// Issue 15's house rules for src/, checked on every test run: no room below cli/ imports from it,
// no import cycle, no file over 300 lines, and every file opens with a comment saying its one job.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');
/** The rooms below the command layer: none of them may import from src/cli. */
const BELOW_CLI = ['upload', 'render', 'server', 'input', 'client', 'config', 'protocol', 'errors'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every relative import of a file (static, type-only, re-exports and dynamic), resolved to a src path. */
export function importsOf(file: string, text = readFileSync(file, 'utf8')): string[] {
  const specs = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g),
    ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g),
    ...text.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g),
  ].map((m) => m[1] as string);
  return specs.filter((s) => s.startsWith('.')).map((s) => path.resolve(path.dirname(file), s.replace(/\.js$/, '.ts')));
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v) as number, idx.get(w) as number));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return found;
}

const rel = (f: string) => path.relative(SRC, f);

describe('the import graph of src/', () => {
  const files = sourceFiles(SRC);
  const graph = new Map(files.map((f) => [f, importsOf(f)]));

  it('has no import from a room below cli/ into cli/', () => {
    const bad: string[] = [];
    for (const [file, deps] of graph) {
      if (!BELOW_CLI.includes(rel(file).split(path.sep)[0] as string)) continue;
      for (const dep of deps) if (rel(dep).startsWith(`cli${path.sep}`)) bad.push(`${rel(file)} → ${rel(dep)}`);
    }
    expect(bad).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(cycles(graph).map((c) => c.map(rel).join(' ↔ '))).toEqual([]);
  });

  it('the checks find what they look for', () => {
    const a = path.join(SRC, 'upload', 'a.ts');
    expect(
      importsOf(
        a,
        "import type { X } from '../cli/x.js';\nconst m = await import('./b.js');\nexport { y } from './c.js';",
      ),
    ).toEqual([path.join(SRC, 'cli', 'x.ts'), path.join(SRC, 'upload', 'c.ts'), path.join(SRC, 'upload', 'b.ts')]);
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
          ['d', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b', 'c']]);
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', []],
        ]),
      ),
    ).toEqual([]);
  });
});

/** The most lines a file in src/ may have: past it, a file holds more than one job. */
const MAX_LINES = 300;

/** Lines as an editor counts them: a final newline does not start another line. */
export function lineCount(text: string): number {
  if (text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/**
 * Whether a file opens with a comment (its one job) before any import or code. A lint or type
 * directive is not one.
 */
export function opensWithComment(text: string): boolean {
  const m = /^\s*(\/\/|\/\*+)\s*(\S+)/.exec(text);
  return m !== null && !/^(eslint|@ts-|prettier-)/.test(m[2] as string);
}

describe('the files of src/', () => {
  const files = sourceFiles(SRC);

  it(`are at most ${MAX_LINES} lines each`, () => {
    const long = files
      .map((f) => ({ file: rel(f), lines: lineCount(readFileSync(f, 'utf8')) }))
      .filter((x) => x.lines > MAX_LINES);
    expect(long.map((x) => `${x.file}: ${x.lines} lines`)).toEqual([]);
  });

  it('each open with a comment saying their one job', () => {
    expect(files.filter((f) => !opensWithComment(readFileSync(f, 'utf8'))).map(rel)).toEqual([]);
  });

  it('the checks find what they look for', () => {
    expect([lineCount(''), lineCount('a'), lineCount('a\n'), lineCount('a\nb'), lineCount('a\n\n')]).toEqual([
      0, 1, 1, 2, 2,
    ]);
    expect(opensWithComment('// Reads CSV.\nimport x from "y";')).toBe(true);
    expect(opensWithComment('\n/**\n * Reads CSV.\n */\nexport {};')).toBe(true);
    expect(opensWithComment("import x from 'y';\n// Reads CSV.")).toBe(false);
    expect(opensWithComment('/* eslint-disable */\nexport {};')).toBe(false);
    expect(opensWithComment('// @ts-nocheck\nexport {};')).toBe(false);
  });
});
