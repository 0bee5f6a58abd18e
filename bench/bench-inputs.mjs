// The bench's input files: one CSV of the built-in transactions resource in date order (as exports
// come), and the same rows in a seeded random order (keys land all over the unique index).
import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import path from 'node:path';
import { formatRow, generateTransactions, prng, transactionRow } from './transactions-generator.mjs';

const HEADER = 'account_id,amount,transaction_date,description,category\n';

/** Writes (once) the files for these orders; returns order → path. */
export async function writeInputs(dir, rows, orders) {
  const files = {};
  for (const order of orders) {
    const file = path.join(dir, `transactions-${rows}-${order}.csv`);
    files[order] = file;
    if (existsSync(file)) continue;
    if (order === 'date') await generateTransactions({ rows, seed: 1, format: 'csv', out: file });
    else if (order === 'random') await writeShuffled(file, rows);
    else throw new Error(`unknown order ${order} (date or random)`);
  }
  return files;
}

async function writeShuffled(file, rows) {
  const perm = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) perm[i] = i;
  const rand = prng(7);
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const out = createWriteStream(file);
  let buffer = HEADER;
  for (let k = 0; k < rows; k++) {
    buffer += `${formatRow(transactionRow(perm[k], 1, 0), 'csv')}\n`;
    if (buffer.length > 1 << 16) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
}
