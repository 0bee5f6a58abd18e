// A single long unquoted CSV field: how long reading takes and how much memory it needs, as the
// field grows (issue 23: it was quadratic). Run: node bench/long-record.mjs [MB...]
import { writeFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openInput } from '../dist/input/open-input.js';

const dir = mkdtempSync(path.join(tmpdir(), 'bulk-long-'));
const sizes = process.argv.slice(2).map(Number);
for (const mb of sizes.length ? sizes : [8, 16, 32, 50]) {
  const file = path.join(dir, `long-${mb}.csv`);
  writeFileSync(file, `a,b\n1,${'x'.repeat(mb << 20)}\n2,y\n`);
  for (const limit of [16 << 20, 64 << 20]) {
    const t0 = process.hrtime.bigint();
    const src = await openInput(file, { limits: { maxRecordChars: limit, maxDepth: 32 } });
    let rows = 0;
    let outcome = 'read';
    try {
      for await (const items of src.batches(1000)) rows += items.filter((i) => i.kind === 'row').length;
    } catch (err) {
      outcome = err.message.replace(/^.*?: /, '').slice(0, 60);
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const rss = Math.round(process.memoryUsage().rss / 2 ** 20);
    console.log(
      `${mb} MB field, limit ${limit >> 20} MiB: ${ms.toFixed(0)} ms, rss ${rss} MiB, ${rows} rows, ${outcome}`,
    );
  }
  rmSync(file);
}
rmSync(dir, { recursive: true });
