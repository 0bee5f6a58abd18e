#!/usr/bin/env node
// Reading speed of a CSV file: the fast splitter (default dialect) against csv-parse, on the same
// file, records only and through the whole reader (decode, header, rows). No server involved.
//   npm run build && node bench/generate.mjs --rows 1000000 --format csv --out /tmp/t.csv
//   node bench/csv-read-speed.mjs /tmp/t.csv [runs=3]
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';

const dist = new URL('../dist', import.meta.url).pathname;
const { splitRecords, parsedRecords } = await import(path.join(dist, 'input/csv-records.js'));
const { openInput } = await import(path.join(dist, 'input/open-input.js'));
const { MAX_RECORD_BYTES } = await import(path.join(dist, 'input/csv-reader.js'));

const file = process.argv[2];
const runs = Number(process.argv[3] ?? 3);
if (!file) {
  console.error('usage: node bench/csv-read-speed.mjs FILE.csv [runs]');
  process.exit(2);
}

async function* text() {
  const decoder = new TextDecoder();
  for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 }))
    yield decoder.decode(chunk, { stream: true });
}

async function count(records) {
  let n = 0;
  for await (const batch of records) n += batch.length;
  return n;
}

async function reader(dialect) {
  const source = await openInput(file, { dialect });
  let n = 0;
  for await (const items of source.batches(500)) n += items.length;
  await source.close();
  return n;
}

const cases = {
  'records: fast splitter': () => count(splitRecords(text(), MAX_RECORD_BYTES)),
  'records: csv-parse': () => count(parsedRecords(text(), { delimiter: ',' }, ',', MAX_RECORD_BYTES)),
  'reader: default dialect (fast path)': () => reader({}),
  // Any option but the default dialect's goes through csv-parse; trim changes nothing in this file.
  'reader: csv-parse (--trim)': () => reader({ trim: true }),
};

const mb = statSync(file).size / 2 ** 20;
for (const [name, run] of Object.entries(cases)) {
  const times = [];
  let rows = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    rows = await run();
    times.push((performance.now() - t0) / 1000);
  }
  const best = Math.min(...times);
  console.log(
    `${name.padEnd(38)} ${rows} rows  best ${best.toFixed(2)} s of ${runs} (${times.map((t) => t.toFixed(2)).join(', ')})  ${Math.round(rows / best).toLocaleString('en')} rows/s  ${(mb / best).toFixed(0)} MB/s`,
  );
}
