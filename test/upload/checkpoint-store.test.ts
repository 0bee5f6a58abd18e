import { mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_PLAN } from '../helpers/run-plan.js';
import {
  checkpointPath,
  fingerprintInput,
  fingerprintMismatch,
  latestRunId,
  loadCheckpoint,
  saveCheckpointText,
} from '../../src/upload/state/checkpoint-store.js';
import { CheckpointWriter } from '../../src/upload/state/checkpoint-writer.js';
import type { Checkpoint } from '../../src/upload/state/checkpoint.js';

const saveCheckpoint = (c: Checkpoint, env: Record<string, string>) =>
  saveCheckpointText(c.run_id, JSON.stringify(c), env);
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'bulk-cp-'));
const cp = (runId: string): Checkpoint => ({
  version: 2,
  run_id: runId,
  cwd: '/',
  created_at: '',
  updated_at: '',
  plan: { ...TEST_PLAN, files: ['a.csv'], batchSize: 10, concurrency: 1 },
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
  it('refuses a checkpoint from before the run plan, naming its file and what to do', async () => {
    const env = { BULK_STATE_DIR: tmp() };
    const { plan: _plan, ...rest } = cp('run-old');
    const old = { ...rest, version: 1, settings: { files: ['a.csv'], url: null, db: null, batch_size: 10 } };
    await saveCheckpointText('run-old', JSON.stringify(old), env);
    expect(() => loadCheckpoint('run-old', env)).toThrow(checkpointPath('run-old', env));
    expect(() => loadCheckpoint('run-old', env)).toThrow(/older bulk, before the run plan.*start a new upload/);
  });
  it('finds the newest run: by checkpoint time, then by name', async () => {
    const env = { BULK_STATE_DIR: tmp() };
    expect(latestRunId(env)).toBeNull();
    // Times set by hand, and the run written last named first: only the checkpoint's time can
    // pick it, so a pick by name or by write order fails here.
    const older = '20260102T000000Z-bbbbbb';
    const newer = '20260101T000000Z-aaaaaa';
    await saveCheckpoint(cp(older), env);
    await saveCheckpoint(cp(newer), env);
    utimesSync(checkpointPath(older, env), 2_000, 2_000);
    utimesSync(checkpointPath(newer, env), 1_000, 3_000);
    expect(latestRunId(env)).toBe(newer);
    // A run directory without a checkpoint is no run.
    mkdirSync(path.join(env.BULK_STATE_DIR, '20260103T000000Z-cccccc'));
    expect(latestRunId(env)).toBe(newer);
    // The same time: the later name wins.
    utimesSync(checkpointPath(newer, env), 2_000, 2_000);
    expect(latestRunId(env)).toBe(older);
  });
  it('the writer coalesces saves and the last state wins', async () => {
    const env = { BULK_STATE_DIR: tmp() };
    const writer = new CheckpointWriter(env);
    const state = cp('run-2');
    for (let i = 0; i < 20; i++) {
      state.entries.push({
        key: `k${i}`,
        file: 'a.csv',
        batch: i,
        first_line: i,
        last_line: i,
        rows: 1,
        job_id: `j${i}`,
        state: 'submitted',
      });
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
