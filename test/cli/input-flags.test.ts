import { describe, expect, it } from 'vitest';
import { checkInputFlags } from '../../src/cli/input-flags.js';
import { resolveRunPlan } from '../../src/upload/plan/resolve-run-plan.js';

const inputSettings = (flags: Parameters<typeof checkInputFlags>[0]) => {
  checkInputFlags(flags);
  const { csv, columnMap, ignoreUnknown } = resolveRunPlan(
    { ...flags, files: ['a.csv'] },
    { url: null, settings: {} },
    {},
  );
  return { csv, columnMap, ignoreUnknown };
};

describe('input flags', () => {
  it('--no-header needs --columns, and --columns goes with --no-header', () => {
    expect(() => inputSettings({ header: false })).toThrow(/--no-header needs --columns/);
    expect(() => inputSettings({ columns: ['a'] })).toThrow(/--columns goes with --no-header/);
    expect(inputSettings({ header: false, columns: ['a', 'b'], delimiter: ';' }).csv).toEqual({
      header: false,
      columns: ['a', 'b'],
      delimiter: ';',
    });
    expect(inputSettings({ header: true })).toEqual({ csv: undefined, columnMap: undefined, ignoreUnknown: undefined });
  });

  it('one character cannot be two things', () => {
    expect(() => inputSettings({ delimiter: ';', quote: ';' })).toThrow(
      '--delimiter and --quote cannot be the same character (";")',
    );
    expect(() => inputSettings({ quote: '#', comment: '#' })).toThrow(/--quote and --comment/);
    expect(() => inputSettings({ delimiter: '"' })).toThrow(
      '--delimiter and --quote (default ") cannot be the same character',
    );
  });
});
