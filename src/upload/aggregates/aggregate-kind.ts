// What an aggregate is (a sum, an average, a minimum or a maximum), read from its name.

export type AggregateKind = 'sum' | 'avg' | 'min' | 'max';

const KIND_WORDS: ReadonlyArray<readonly [AggregateKind, ReadonlySet<string>]> = [
  ['sum', new Set(['total', 'sum'])],
  ['avg', new Set(['average', 'avg', 'mean'])],
  ['min', new Set(['min', 'minimum'])],
  ['max', new Set(['max', 'maximum'])],
];

/**
 * What an aggregate is, from its name: servers send values, not definitions. The first word
 * decides, then the last (`total_amount`, `amount_avg`, `minAmount`); anything else, counts
 * included, is added up. Whole words only, so `minutes` is not a minimum.
 */
export function aggregateKind(name: string): AggregateKind {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  for (const word of [words[0], words.at(-1)]) {
    for (const [kind, set] of KIND_WORDS) if (word !== undefined && set.has(word)) return kind;
  }
  return 'sum';
}
