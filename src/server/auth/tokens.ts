// API tokens: read from a file or the environment, kept as hashes, matched in constant time to
// name the owner of a request's jobs; and whether a host is loopback (the only place a server may
// listen without tokens).
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BulkError } from '../../errors/bulk-error.js';

export interface TokenEntry {
  name: string;
  hash: Buffer;
}

/** A server setting that cannot be used (exit 2 through the error table). */
export class TokenConfigError extends BulkError {
  constructor(message: string) {
    super('config', message);
  }
}

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Tokens, one a line: `TOKEN` or `NAME TOKEN` (# starts a comment). The name is who owns the jobs
 * made with it; without one, a short hash of the token stands in. Only hashes are kept.
 */
export function parseTokens(text: string, source: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  const names = new Set<string>();
  text.split(/\r?\n|,/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const parts = line.split(/\s+/);
    if (parts.length > 2) throw new TokenConfigError(`${source}: entry ${i + 1}: expected "TOKEN" or "NAME TOKEN"`);
    const token = parts.length === 2 ? (parts[1] as string) : (parts[0] as string);
    if (token.length < 16)
      throw new TokenConfigError(`${source}: entry ${i + 1}: a token must be at least 16 characters`);
    const name = parts.length === 2 ? (parts[0] as string) : `token-${sha(token).toString('hex').slice(0, 8)}`;
    if (names.has(name)) throw new TokenConfigError(`${source}: entry ${i + 1}: the name "${name}" is used twice`);
    names.add(name);
    entries.push({ name, hash: sha(token) });
  });
  return entries;
}

export function loadTokens(opts: { tokenFile?: string; envTokens?: string }): TokenEntry[] {
  const entries: TokenEntry[] = [];
  if (opts.tokenFile) {
    let text: string;
    try {
      text = readFileSync(opts.tokenFile, 'utf8');
    } catch (err) {
      throw new TokenConfigError(
        `cannot read token file ${opts.tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
    entries.push(...parseTokens(text, opts.tokenFile));
  }
  if (opts.envTokens) entries.push(...parseTokens(opts.envTokens, 'BULK_SERVE_TOKENS'));
  return entries;
}

/** The token from `Authorization: Bearer …` or `Token …` (Django REST framework's scheme). */
export function presentedToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^(Bearer|Token)\s+(\S+)\s*$/i.exec(header);
  return m ? (m[2] as string) : null;
}

/**
 * The owner a token belongs to, or null. Every entry is compared, with a constant-time compare of
 * fixed-length hashes, so the time taken says nothing about how close a guess was.
 */
export function authenticate(entries: readonly TokenEntry[], token: string | null): string | null {
  const presented = sha(token ?? '');
  let found: string | null = null;
  for (const e of entries) {
    if (timingSafeEqual(e.hash, presented) && token !== null) found = e.name;
  }
  return found;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/i;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}
