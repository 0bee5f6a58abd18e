import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigFile, resolveConfig } from '../../src/config/resolve-config.js';

const file = parseConfigFile(
  {
    default_profile: 'staging',
    profiles: {
      staging: { url: 'http://staging:8000', batch_size: 500 },
      prod: { url: 'https://prod.example', token_file: '/secrets/prod', concurrency: 8 },
    },
  },
  'bulk.config.json',
);
const readToken = (p: string) => `token-from:${p}\n`;

describe('resolveConfig precedence: flags > env > file > defaults', () => {
  it('uses defaults and no URL (embedded server) with nothing set', () => {
    const c = resolveConfig({ flags: {}, env: {}, file: null, readToken });
    expect(c).toMatchObject({ url: null, token: null, profile: null, settings: {} });
  });
  it('takes the default profile from the file', () => {
    const c = resolveConfig({ flags: {}, env: {}, file, readToken });
    expect(c).toMatchObject({ url: 'http://staging:8000', profile: 'staging', settings: { batchSize: 500 } });
  });
  it('env beats the file, flags beat env', () => {
    const env = { BULK_URL: 'http://env:1' };
    expect(resolveConfig({ flags: {}, env, file, readToken })).toMatchObject({ url: 'http://env:1' });
    expect(resolveConfig({ flags: { url: 'http://flag:2' }, env, file, readToken })).toMatchObject({
      url: 'http://flag:2',
    });
  });
  it('a named profile reads its token file; BULK_TOKEN beats a profile token file', () => {
    const c = resolveConfig({ flags: { profile: 'prod' }, env: {}, file, readToken });
    expect(c).toMatchObject({
      url: 'https://prod.example',
      token: 'token-from:/secrets/prod',
      tokenSource: 'token-file',
      settings: { concurrency: 8 },
    });
    const e = resolveConfig({ flags: { profile: 'prod' }, env: { BULK_TOKEN: 'abc' }, file, readToken });
    expect(e).toMatchObject({ token: 'abc', tokenSource: 'env' });
  });
  it('an explicit --token-file beats BULK_TOKEN', () => {
    const c = resolveConfig({ flags: { tokenFile: '/t' }, env: { BULK_TOKEN: 'abc' }, file: null, readToken });
    expect(c.token).toBe('token-from:/t');
  });
  it('refuses an unknown profile, naming the known ones', () => {
    expect(() => resolveConfig({ flags: { profile: 'nope' }, env: {}, file, readToken })).toThrow(
      /no profile named "nope" \(profiles: staging, prod\)/,
    );
  });
  it('refuses bad URLs', () => {
    expect(() => resolveConfig({ flags: { url: 'ftp://x' }, env: {}, file: null, readToken })).toThrow(ConfigError);
  });
});

describe('parseConfigFile', () => {
  it('names the unknown setting', () => {
    expect(() => parseConfigFile({ profiles: { a: { urll: 'x' } } }, 'c.json')).toThrow(
      /c.json: profile "a": unknown setting "urll"/,
    );
  });
  it('refuses a token in the file', () => {
    expect(() => parseConfigFile({ profiles: { a: { token: 'x' } } }, 'c.json')).toThrow(/unknown setting "token"/);
  });
  it('refuses a default_profile that does not exist', () => {
    expect(() => parseConfigFile({ default_profile: 'b', profiles: {} }, 'c.json')).toThrow(/default_profile "b"/);
  });
});

describe("a profile's columns", () => {
  it('maps input columns to fields, and --map pairs are laid over it', async () => {
    const file = parseConfigFile(
      { default_profile: 'bank', profiles: { bank: { columns: { Betrag: 'amount', Konto: 'account_id' } } } },
      'c.json',
    );
    const resolved = resolveConfig({ flags: {}, env: {}, file, readToken: () => '' });
    expect(resolved.settings.columns).toEqual({ Betrag: 'amount', Konto: 'account_id' });
    const { resolveRunPlan } = await import('../../src/upload/plan/resolve-run-plan.js');
    expect(resolveRunPlan({ files: ['a.csv'], map: { Betrag: 'total' } }, resolved, {}).columnMap).toEqual({
      Betrag: 'total',
      Konto: 'account_id',
    });
  });

  it('refuses columns that are not name → field strings', () => {
    expect(() => parseConfigFile({ profiles: { p: { columns: ['amount'] } } }, 'c.json')).toThrow(
      /columns must map input column names to field names/,
    );
    expect(() => parseConfigFile({ profiles: { p: { columns: { a: 1 } } } }, 'c.json')).toThrow(ConfigError);
  });
});
