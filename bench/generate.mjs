#!/usr/bin/env node
// node bench/generate.mjs --rows 1000000 --format csv --out /tmp/t.csv [--seed 1] [--invalid 0.01]
import { generateTransactions } from './transactions-generator.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
if (!args.out || !args.rows) {
  console.error(
    'usage: node bench/generate.mjs --rows N --format csv|ndjson|json --out FILE [--seed 1] [--invalid 0.01]',
  );
  process.exit(2);
}
const result = await generateTransactions({
  rows: Number(args.rows),
  format: args.format ?? 'csv',
  out: args.out,
  seed: Number(args.seed ?? 1),
  invalidShare: Number(args.invalid ?? 0),
});
console.log(JSON.stringify({ file: args.out, ...result }));
