// Adds up the aggregates of many jobs into one run's figures, knowing each one's kind only by
// its name (sum, average, minimum, maximum or a count).
import type { AggregateValue } from '../../protocol/index.js';
import { mergeStates, stateOf, valuesOf, type AggregateState } from './aggregate-state.js';

export { aggregateKind, type AggregateKind } from './aggregate-kind.js';

/**
 * The aggregates of a whole run from its jobs': sums and counts added, averages weighted by each
 * job's stored rows, min and max kept, count-by objects merged by key. Decimals add exactly
 * (0.1 + 0.2 is 0.3); numbers in give numbers out, strings in give strings out. A value that
 * cannot be combined honestly (an object mixed with numbers, numbers mixed with text, differing
 * text) becomes null. The same fold as the checkpoint's (aggregate-state.ts), so both agree.
 */
export function combineAggregates(
  jobs: ReadonlyArray<{ aggregates: Record<string, AggregateValue> | null; succeeded: number }>,
): Record<string, AggregateValue> {
  return valuesOf(
    jobs.reduce<AggregateState>((state, job) => mergeStates(state, stateOf(job.aggregates, job.succeeded)), {}),
  );
}
