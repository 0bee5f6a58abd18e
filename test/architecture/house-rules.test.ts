// The house rules for src/, checked on every test run: the arrows docs/architecture.md draws between
// rooms (read from src/, never listed by hand), no import cycle, rooms small enough to find a file
// in, short files and lines, and every file opening with a comment saying its one job.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

const IMPORT_SPECS = [
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g,
  /import\(\s*['"]([^'"]+)['"]\s*\)/g,
  /(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g,
];

function specsOf(text: string): string[] {
  return IMPORT_SPECS.flatMap((re) => [...text.matchAll(re)].map((m) => m[1] as string));
}

/** Every relative import of a file (static, type-only, re-exports and dynamic), resolved to a src path. */
export function importsOf(file: string, text = readFileSync(file, 'utf8')): string[] {
  return specsOf(text)
    .filter((s) => s.startsWith('.'))
    .map((s) => path.resolve(path.dirname(file), s.replace(/\.js$/, '.ts')));
}

/** The packages a file imports by name (`chalk`, `node:fs`, `@scope/pkg/sub` → `@scope/pkg`). */
export function packagesOf(text: string): string[] {
  return specsOf(text)
    .filter((s) => !s.startsWith('.'))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : (s.split('/')[0] as string)));
}

/**
 * The arrows of docs/architecture.md: the rooms each room may import. A room found in src/ that
 * is not drawn here fails the test, so a new room is drawn before it is built.
 */
export const DRAWN_ARROWS: Record<string, readonly string[]> = {
  cli: ['upload', 'render', 'server', 'config', 'client', 'input', 'resources', 'protocol', 'errors', 'version'],
  upload: ['input', 'client', 'config', 'resources', 'protocol', 'errors'],
  render: ['upload', 'protocol', 'errors'],
  client: ['protocol', 'errors'],
  input: ['protocol', 'errors'],
  config: ['protocol', 'errors'],
  server: ['resources', 'protocol', 'errors', 'version'],
  resources: ['protocol', 'errors'],
  protocol: [],
  errors: [],
  version: [],
};

/** The rooms on the client's side of the wire: none of them may reach into the server. */
const CLIENT_SIDE = ['upload', 'client', 'render', 'input', 'config'];
/** Terminal packages only the command layer and the reporters may load. */
const TERMINAL_PACKAGES = ['commander', 'chalk', 'ora', 'cli-progress'];
const DRAWS_ON_TERMINAL = ['cli', 'render'];

/** The room of a src path: its top folder, or the file's stem for a file at the top (`version`). */
export function roomOf(file: string): string {
  const first = path.relative(SRC, file).split(path.sep)[0] as string;
  return first.replace(/\.ts$/, '');
}

type Graph = Map<string, string[]>;

/** Every import that crosses rooms against the drawing, as `from → to` lines. */
export function undrawnArrows(graph: Graph, arrows = DRAWN_ARROWS): string[] {
  const bad: string[] = [];
  for (const [file, deps] of graph) {
    const from = roomOf(file);
    for (const dep of deps) {
      const to = roomOf(dep);
      if (to === from || to.startsWith('..')) continue;
      if (!(arrows[from] ?? []).includes(to)) bad.push(`${rel(file)} → ${rel(dep)}`);
    }
  }
  return bad;
}

/** The issue's named arrows, asserted on their own so a loosened table cannot hide them. */
export function brokenNamedArrows(graph: Graph, packages: Map<string, string[]>): string[] {
  const bad: string[] = [];
  for (const [file, deps] of graph) {
    const from = roomOf(file);
    for (const dep of deps) {
      const to = roomOf(dep);
      if (to === from) continue;
      if (from === 'protocol' || from === 'errors') bad.push(`${from} imports ${to}: ${rel(file)}`);
      if (from === 'server' && to === 'upload') bad.push(`server imports upload: ${rel(file)}`);
      if (CLIENT_SIDE.includes(from) && to === 'server') bad.push(`client side imports server: ${rel(file)}`);
      if (from !== 'cli' && to === 'cli') bad.push(`${from} imports cli: ${rel(file)}`);
    }
    if (DRAWS_ON_TERMINAL.includes(from)) continue;
    for (const pkg of packages.get(file) ?? []) {
      if (TERMINAL_PACKAGES.includes(pkg)) bad.push(`${from} loads ${pkg}: ${rel(file)}`);
    }
  }
  return bad;
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
  const packages = new Map(files.map((f) => [f, packagesOf(readFileSync(f, 'utf8'))]));

  it('has every room drawn in docs/architecture.md', () => {
    const rooms = [...new Set(files.map(roomOf))].sort();
    expect(rooms.filter((r) => !(r in DRAWN_ARROWS))).toEqual([]);
  });

  it('follows the drawn arrows only', () => {
    expect(undrawnArrows(graph)).toEqual([]);
  });

  it('keeps the named arrows: protocol and errors import nothing of ours, the server never the upload, the client side never the server, the core no terminal package', () => {
    expect(brokenNamedArrows(graph, packages)).toEqual([]);
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
    expect(packagesOf("import chalk from 'chalk';\nimport { x } from '@a/b/c';\nimport './d.js';")).toEqual([
      'chalk',
      '@a/b',
    ]);
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

  it('each named arrow fails when it is broken', () => {
    const f = (room: string, name = 'x.ts') => path.join(SRC, room, name);
    const cases: [string, string, string][] = [
      ['protocol', 'errors', 'protocol imports errors'],
      ['errors', 'protocol', 'errors imports protocol'],
      ['server', 'upload', 'server imports upload'],
      ['upload', 'server', 'client side imports server'],
      ['render', 'server', 'client side imports server'],
      ['client', 'server', 'client side imports server'],
      ['input', 'server', 'client side imports server'],
      ['upload', 'cli', 'upload imports cli'],
    ];
    for (const [from, to, says] of cases) {
      const broken = brokenNamedArrows(new Map([[f(from), [f(to)]]]), new Map());
      expect(broken.join('\n')).toContain(says);
      expect(undrawnArrows(new Map([[f(from), [f(to)]]]))).toHaveLength(1);
    }
    for (const pkg of TERMINAL_PACKAGES) {
      expect(brokenNamedArrows(new Map([[f('upload'), []]]), new Map([[f('upload'), [pkg]]]))).toHaveLength(1);
      expect(brokenNamedArrows(new Map([[f('render'), []]]), new Map([[f('render'), [pkg]]]))).toEqual([]);
    }
    expect(undrawnArrows(new Map([[f('cli'), [f('upload')]]]))).toEqual([]);
  });
});

/** The most files one folder of src/ may hold directly: past it, a newcomer cannot find the room for a change. */
const MAX_FILES_PER_FOLDER = 20;

export function crowdedFolders(dir: string): string[] {
  const entries = readdirSync(dir, { withFileTypes: true });
  const here = entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).length;
  const inside = entries.filter((e) => e.isDirectory()).flatMap((e) => crowdedFolders(path.join(dir, e.name)));
  return here > MAX_FILES_PER_FOLDER ? [`${path.relative(SRC, dir) || 'src'}: ${here} files`, ...inside] : inside;
}

describe('the folders of src/', () => {
  it(`hold at most ${MAX_FILES_PER_FOLDER} files each`, () => {
    expect(crowdedFolders(SRC)).toEqual([]);
  });
});

/** The most lines a file in src/ may have: past it, a file holds more than one job. */
const MAX_LINES = 300;

/** Lines as an editor counts them: a final newline does not start another line. */
export function lineCount(text: string): number {
  if (text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** The widest a line in src/ may be (prettier's print width): past it, the 300-line rule is met by long lines. */
const MAX_LINE_CHARS = 120;

/** The 1-based numbers of the lines longer than `max` characters. */
export function longLines(text: string, max = MAX_LINE_CHARS): number[] {
  return text.split('\n').flatMap((line, i) => ([...line].length > max ? [i + 1] : []));
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

  it(`no line in src/ is over ${MAX_LINE_CHARS} characters`, () => {
    const long = files.flatMap((f) => longLines(readFileSync(f, 'utf8')).map((n) => `${rel(f)}:${n}`));
    expect(long).toEqual([]);
  });

  it('each open with a comment saying their one job', () => {
    expect(files.filter((f) => !opensWithComment(readFileSync(f, 'utf8'))).map(rel)).toEqual([]);
  });

  it('the checks find what they look for', () => {
    expect([lineCount(''), lineCount('a'), lineCount('a\n'), lineCount('a\nb'), lineCount('a\n\n')]).toEqual([
      0, 1, 1, 2, 2,
    ]);
    expect(longLines(`${'a'.repeat(120)}\n${'b'.repeat(121)}\n\n${'c'.repeat(121)}`)).toEqual([2, 4]);
    expect(longLines('é'.repeat(120))).toEqual([]);
    expect(opensWithComment('// Reads CSV.\nimport x from "y";')).toBe(true);
    expect(opensWithComment('\n/**\n * Reads CSV.\n */\nexport {};')).toBe(true);
    expect(opensWithComment("import x from 'y';\n// Reads CSV.")).toBe(false);
    expect(opensWithComment('/* eslint-disable */\nexport {};')).toBe(false);
    expect(opensWithComment('// @ts-nocheck\nexport {};')).toBe(false);
  });
});
