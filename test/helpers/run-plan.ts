// A run plan with every setting at its default, for tests that need a checkpoint or a plan to start from.
import type { RunPlan } from '../../src/upload/plan/run-plan.js';

export const TEST_PLAN: RunPlan = {
  files: ['a.csv'],
  limits: { maxRecordChars: 16 * 1024 * 1024, maxDepth: 32 },
  batchSize: 5000,
  concurrency: 4,
  dryRun: false,
  noWait: false,
  useEvents: true,
  target: { url: null, database: null },
};
