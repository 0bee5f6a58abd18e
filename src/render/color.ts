import { Chalk, type ChalkInstance } from 'chalk';

export interface ColorChoice {
  enabled: boolean;
  level: 0 | 1 | 2 | 3;
  chalk: ChalkInstance;
}

/**
 * Colour is decided once, here, in this order: `--no-color`, `NO_COLOR`, `TERM=dumb`,
 * `FORCE_COLOR`, then whether the stream is a terminal. (chalk alone ignores NO_COLOR.)
 */
export function resolveColor(input: { flag?: boolean; env: Record<string, string | undefined>; stream: { isTTY?: boolean } }): ColorChoice {
  const level = decideLevel(input);
  return { enabled: level > 0, level, chalk: new Chalk({ level }) };
}

function decideLevel({ flag, env, stream }: { flag?: boolean; env: Record<string, string | undefined>; stream: { isTTY?: boolean } }): 0 | 1 | 2 | 3 {
  if (flag === false) return 0;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (env.TERM === 'dumb') return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === '0' || force === 'false') return 0;
    if (force === '2') return 2;
    if (force === '3') return 3;
    return 1;
  }
  if (!stream.isTTY) return 0;
  if (env.COLORTERM === 'truecolor' || env.COLORTERM === '24bit') return 3;
  return /256/.test(env.TERM ?? '') ? 2 : 1;
}
