import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprintInput, fingerprintMismatch, latestRunId, loadCheckpoint, saveCheckpoint } from '../../src/upload/checkpoint-store.js';
import { CheckpointWriter } from '../../src/upload/checkpoint-writer.js';
import type { Checkpoint } from '../../src/upload/checkpoint.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'bulk-cp-'));
const cp = (runId: string): Checkpoint => ({
  version: 1,
  run_id: runId,
  cwd: '/',
  created_at: '',
  updated_at: '',
  settings: { files: ['a.csv'], url: null, db: null, batch_size: 10, concurrency: 1 },
  inputs: [null],
  entries: [],
  failed_rows: {},
  finished: false,
});

describe('checkpoint store', () => {
  it('saves atomically (no temp file left) and loads back', async () => {
    const env = { BULK_STATE_DIR: tmp() };
    await saveCheckpoint(cp('run-1'), env);
    expect(loadCheckpoint('run-1', env)?.run_id).toBe('run-1');
    expect(readdirSync(path.join(env.BULK_STATE_DIR, 'run-1'))).toEqual(['checkpoint.json']);
    expect(loadCheckpoint('nope', env)).toBeNull();
  });
  it('finds the newest run', async () => {
    const env = { BULK_STATE_DIR: tmp() };
    expect(latestRunId(env)).toBeNull();
    await saveCheckpoint(cp('20260101T000000Z-aaaaaa'), env);
    await new Promise((r) => setTimeout(r, 20));
    await saveCheckpoint(cp('20260102T000000Z-bbbbbb'), env);
    expect(latestRunId(env)).toBe('20260102T000000Z-bbbbbb');
  });
  it('the writer coalesces saves and the last state wins', async () => {
    const env = { BULK_STATE_DIR: tmp() };
    const writer = new CheckpointWriter(env);
    const state = cp('run-2');
    for (let i = 0; i < 20; i++) {
      state.entries.push({ key: `k${i}`, file: 'a.csv', batch: i, first_line: i, last_line: i, rows: 1, job_id: `j${i}`, state: 'submitted' });
      writer.request(() => state);
    }
    await writer.flush();
    expect(loadCheckpoint('run-2', env)?.entries).toHaveLength(20);
  });
});

describe('input fingerprints', () => {
  it('notice a change in size, content or mtime', async () => {
    const dir = tmp();
    const file = path.join(dir, 'a.csv');
    writeFileSync(file, 'a,b\n1,2\n');
    const before = await fingerprintInput(file);
    expect(before).not.toBeNull();
    expect(fingerprintMismatch(before!, await fingerprintInput(file))).toBeNull();
    writeFileSync(file, 'a,b\n1,3\n');
    expect(fingerprintMismatch(before!, await fingerprintInput(file))).toMatch(/changed content|modified/);
    writeFileSync(file, 'a,b\n1,2\n3,4\n');
    expect(fingerprintMismatch(before!, await fingerprintInput(file))).toMatch(/changed size/);
  });
});
