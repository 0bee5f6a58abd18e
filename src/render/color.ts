// Whether and how much colour: decided once per run, for the stream the reporter draws on.
import { Chalk, type ChalkInstance } from 'chalk';

export type ColorLevel = 0 | 1 | 2 | 3;

export interface ColorChoice {
  enabled: boolean;
  level: ColorLevel;
  /** A chalk of exactly this level: reporters never use chalk's own guess. */
  chalk: ChalkInstance;
}

export interface ColorInput {
  /** `false` when `--no-color` was given; `true`/undefined leave the decision to the rest. */
  flag?: boolean;
  env: Record<string, string | undefined>;
  stream: { isTTY?: boolean };
}

/**
 * Colour is decided once, here, in this order: `--no-color`, `NO_COLOR` (non-empty), `TERM=dumb`,
 * `FORCE_COLOR` (0/false off, 1–3 levels, empty/true/other 1), then whether the stream is a
 * terminal. chalk alone ignores NO_COLOR and looks at stdout, not at the stream we draw on.
 */
export function resolveColor(input: ColorInput): ColorChoice {
  const level = colorLevel(input);
  return { enabled: level > 0, level, chalk: new Chalk({ level }) };
}

function colorLevel({ flag, env, stream }: ColorInput): ColorLevel {
  if (flag === false) return 0;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (env.TERM === 'dumb') return 0;
  const force = env.FORCE_COLOR?.trim().toLowerCase();
  if (force !== undefined) {
    if (force === '0' || force === 'false') return 0;
    if (force === '2' || force === '3') return Number(force) as 2 | 3;
    return 1;
  }
  if (stream.isTTY !== true) return 0;
  if (env.COLORTERM === 'truecolor' || env.COLORTERM === '24bit') return 3;
  return /256/.test(env.TERM ?? '') ? 2 : 1;
}
