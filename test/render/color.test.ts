import { describe, expect, it } from 'vitest';
import { resolveColor } from '../../src/render/color.js';

const tty = { isTTY: true };
const pipe = { isTTY: false };

describe('resolveColor', () => {
  it.each([
    ['a plain terminal', undefined, {}, tty, 1],
    ['a 256-colour terminal', undefined, { TERM: 'xterm-256color' }, tty, 2],
    ['a truecolor terminal', undefined, { COLORTERM: 'truecolor' }, tty, 3],
    ['a pipe', undefined, {}, pipe, 0],
    ['a stream that does not say', undefined, {}, {}, 0],
    ['--no-color on a terminal', false, {}, tty, 0],
    ['--no-color beats FORCE_COLOR', false, { FORCE_COLOR: '3' }, tty, 0],
    ['--color (the default) decides nothing', true, {}, pipe, 0],
    ['NO_COLOR on a terminal', undefined, { NO_COLOR: '1' }, tty, 0],
    ['NO_COLOR beats FORCE_COLOR', undefined, { NO_COLOR: '1', FORCE_COLOR: '1' }, tty, 0],
    ['an empty NO_COLOR is not set', undefined, { NO_COLOR: '' }, tty, 1],
    ['TERM=dumb on a terminal', undefined, { TERM: 'dumb' }, tty, 0],
    ['TERM=dumb beats FORCE_COLOR', undefined, { TERM: 'dumb', FORCE_COLOR: '2' }, pipe, 0],
    ['FORCE_COLOR=0 on a terminal', undefined, { FORCE_COLOR: '0' }, tty, 0],
    ['FORCE_COLOR=false on a terminal', undefined, { FORCE_COLOR: 'false' }, tty, 0],
    ['FORCE_COLOR=1 into a pipe', undefined, { FORCE_COLOR: '1' }, pipe, 1],
    ['FORCE_COLOR=2 into a pipe', undefined, { FORCE_COLOR: '2' }, pipe, 2],
    ['FORCE_COLOR=3 into a pipe', undefined, { FORCE_COLOR: '3' }, pipe, 3],
    ['an empty FORCE_COLOR', undefined, { FORCE_COLOR: '' }, pipe, 1],
    ['FORCE_COLOR=true', undefined, { FORCE_COLOR: 'true' }, pipe, 1],
    ['FORCE_COLOR=1 beats the 256-colour guess', undefined, { FORCE_COLOR: '1', TERM: 'xterm-256color' }, tty, 1],
  ] as const)('%s', (_name, flag, env, stream, level) => {
    const choice = resolveColor({ flag, env: env as Record<string, string>, stream });
    expect(choice.level).toBe(level);
    expect(choice.enabled).toBe(level > 0);
    expect(choice.chalk.level).toBe(level);
  });

  it('gives a chalk that draws nothing when colour is off', () => {
    expect(resolveColor({ env: {}, stream: pipe }).chalk.red('x')).toBe('x');
    expect(resolveColor({ env: { FORCE_COLOR: '1' }, stream: pipe }).chalk.red('x')).toBe('\u001b[31mx\u001b[39m');
  });
});
