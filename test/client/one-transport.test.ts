import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/client/api-error.js';
import { JobApiClient } from '../../src/client/job-api-client.js';
import { startOtherOrigin } from '../helpers/fake-job-server.js';

const SRC = path.resolve(import.meta.dirname, '../../src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

describe('one transport', () => {
  it('only client/http-transport.ts makes requests, so its same-origin check cannot be bypassed', () => {
    const requesters = files(SRC)
      .filter((f) => !f.includes(`${path.sep}server${path.sep}`))
      .filter((f) => /from 'undici'|import\('undici'\)|\bfetch\(|from 'node:https?'/.test(readFileSync(f, 'utf8')))
      .map((f) => path.relative(SRC, f));
    expect(requesters).toEqual([path.join('client', 'http-transport.ts')]);
  });
});

describe('same origin', () => {
  it('a URL on another port, host name or scheme is refused before any request; the token never leaves', async () => {
    const base = await startOtherOrigin();
    const other = await startOtherOrigin();
    const client = new JobApiClient({ baseUrl: base.url, token: 'a-token-for-the-base-only' });
    try {
      const port = new URL(other.url).port;
      const basePort = new URL(base.url).port;
      for (const statusUrl of [
        `${other.url}/api/jobs/j/status/`,
        `http://localhost:${basePort}/api/jobs/j/status/`,
        `https://127.0.0.1:${basePort}/api/jobs/j/status/`,
        `//127.0.0.1:${port}/x`,
      ]) {
        const ref = {
          jobId: 'j',
          statusUrl: client.resolve(statusUrl),
          aggregatesUrl: client.resolve('/api/jobs/j/aggregates/'),
        };
        const err = await client.getStatus(ref).catch((e: unknown) => e);
        expect(err, statusUrl).toBeInstanceOf(ApiError);
        expect((err as ApiError).kind).toBe('protocol');
        expect((err as Error).message).toMatch(/another origin/);
        expect(
          await client.followEvents({ ...ref, eventsUrl: ref.statusUrl }, () => undefined).catch((e: unknown) => e),
        ).toBeInstanceOf(ApiError);
      }
      expect(other.hits).toEqual([]);
      expect(base.hits).toEqual([]);
      // The same origin, written differently (default path, a trailing slash), is followed.
      await client.getStatus({ jobId: 'j', statusUrl: `${base.url}/api/jobs/j/status/`, aggregatesUrl: '' });
      expect(base.hits).toEqual([
        { method: 'GET', path: '/api/jobs/j/status/', authorization: 'Bearer a-token-for-the-base-only' },
      ]);
    } finally {
      await client.close();
      await base.close();
      await other.close();
    }
  });
});
