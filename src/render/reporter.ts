// Picks the one reporter of a run (terminal, plain lines or JSON): the only place that chooses.
import { JsonReporter } from './json-reporter.js';
import { PlainReporter } from './plain-reporter.js';
import { clampVerbosity, type Reporter, type ReporterOptions } from './reporter-options.js';
import { TtyReporter } from './tty-reporter.js';

export {
  clampVerbosity,
  type Reporter,
  type ReporterOptions,
  type ReporterStream,
  type Verbosity,
} from './reporter-options.js';

/**
 * Chosen once per run from `--json` and whether stderr is a terminal. Bars are drawn only on a
 * terminal that can move its cursor: asked for `tty` on anything else (a pipe, `TERM=dumb`),
 * this gives the plain reporter.
 */
export function createReporter(opts: ReporterOptions): Reporter {
  const options = { ...opts, verbosity: clampVerbosity(opts.verbosity) };
  if (options.mode === 'json') return new JsonReporter(options);
  const dumb = (options.env ?? process.env).TERM === 'dumb';
  if (options.mode === 'tty' && options.stream.isTTY === true && !dumb) return new TtyReporter(options);
  return new PlainReporter(options);
}
