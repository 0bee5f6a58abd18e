// The bench's input files: one CSV of the built-in transactions resource in date order (as exports
// come), and the same rows in a seeded random order (keys land all over the unique index).
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
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

/** The same rows as NDJSON beside each CSV (values as the CSV has them: text); order → path. */
export async function writeNdjson(inputs) {
  const files = {};
  for (const [order, csv] of Object.entries(inputs)) {
    const file = csv.replace(/\.csv$/, '.ndjson');
    files[order] = file;
    if (existsSync(file)) continue;
    const out = createWriteStream(file);
    const rl = createInterface({ input: createReadStream(csv), crlfDelay: Infinity });
    let columns = null;
    for await (const line of rl) {
      if (!columns) {
        columns = line.split(',');
        continue;
      }
      const values = splitCsvLine(line);
      const text = `${JSON.stringify(Object.fromEntries(columns.map((c, i) => [c, values[i]])))}\n`;
      if (!out.write(text)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  }
  return files;
}

/** One line of the generated CSV (quoted values, "" inside them; no line breaks in values). */
function splitCsvLine(line) {
  const values = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (line[q + 1] === '"') {
          v += line.slice(j, q + 1);
          j = q + 2;
          continue;
        }
        v += line.slice(j, q);
        i = q + 2;
        break;
      }
      values.push(v);
    } else {
      const c = line.indexOf(',', i);
      const end = c === -1 ? line.length : c;
      values.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return values;
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
