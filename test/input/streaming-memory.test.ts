import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTransactions } from '../../bench/transactions-generator.mjs';
import { openInput } from '../../src/input/open-input.js';

const ROWS = 200_000;
/**
 * Live heap growth allowed while reading, measured after a full GC so garbage does not count.
 * Streaming measured under 1 MiB here; keeping the 200k records took 30–60 MiB.
 */
const HEAP_BOUND = 24 * 1024 * 1024;

// A full GC on demand, without starting the test process with --expose-gc.
v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const liveHeap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};

const dir = mkdtempSync(path.join(os.tmpdir(), 'bulk-streaming-'));
const files = {
  csv: path.join(dir, 't.csv'),
  ndjson: path.join(dir, 't.ndjson'),
  json: path.join(dir, 't.json'),
  gzip: path.join(dir, 't.csv.gz'),
};

beforeAll(async () => {
  for (const format of ['csv', 'ndjson', 'json'] as const)
    await generateTransactions({ rows: ROWS, seed: 3, invalidShare: 0.01, format, out: files[format] });
  await pipeline(createReadStream(files.csv), createGzip(), createWriteStream(files.gzip));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('streaming', () => {
  // csv-trim: the same file through csv-parse (any option but the default dialect's goes there).
  it.each(['csv', 'ndjson', 'json', 'gzip', 'csv-trim'] as const)(
    `reads ${ROWS} generated %s rows with a flat heap`,
    async (kind) => {
      const format = kind === 'csv-trim' ? 'csv' : kind;
      const src = await openInput(files[format], kind === 'csv-trim' ? { dialect: { trim: true } } : {});
      const base = liveHeap();
      let peak = 0;
      let rows = 0;
      let lastLine = 0;
      let batches = 0;
      let outOfOrder = 0;
      for await (const batch of src.batches(1000)) {
        for (const item of batch) {
          if (item.kind !== 'row' || item.line <= lastLine) outOfOrder++;
          lastLine = item.line;
          rows++;
        }
        if (++batches % 20 === 0) peak = Math.max(peak, liveHeap() - base);
      }
      await src.close();
      expect(rows).toBe(ROWS);
      expect(outOfOrder).toBe(0);
      if (process.env.SHOW_PEAK) console.log(format, (peak / 2 ** 20).toFixed(1), 'MiB');
      expect(src.bytesRead()).toBe(statSync(files[format]).size);
      expect(peak).toBeLessThan(HEAP_BOUND);
    },
  );
});
