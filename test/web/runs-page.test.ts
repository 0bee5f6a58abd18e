import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTransactions } from '../../bench/transactions-generator.mjs';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { call, tx } from '../helpers/http.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp.js';
import { waitUntil } from '../helpers/wait-until.js';

// Runs on the jobs page, in Debian's Chromium driven by playwright-core (as jobs-page.test.ts).
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`SKIP test/web/runs-page.test.ts: ${CHROMIUM} is missing`);
const WAIT = { timeout: 30_000 };
const ROWS = 200_000;

let browser: Browser;
let server: RunningServer;
let holding = false;
const held: (() => void)[] = [];
const beforeChunk = () => (holding ? new Promise<void>((resolve) => held.push(resolve)) : undefined);
let runId = '';

const runRow = (page: Page, id: string) => page.locator(`tr[data-run-id="${id}"]`);
const stat = async (page: Page, key: string) =>
  Number((await page.locator(`[data-stat="${key}"]`).textContent())?.replace(/,/g, ''));

describe.skipIf(!haveChromium)('runs on the jobs page, in Chromium', () => {
  beforeAll(async () => {
    const dir = tempDir('bulk-runs-web-');
    server = await startServer({ port: 0, host: '127.0.0.1', database: path.join(dir, 'web.db'), beforeChunk });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
      headless: true,
    });
    // More runs than one page of the runs table (20), all older than the upload.
    for (let i = 0; i < 21; i++)
      await call(server.url, 'POST', '/api/transactions/bulk/', {
        body: [tx(800_000 + i, { description: `small-${i}` })],
        headers: { 'bulk-run': `small-run-${String(i).padStart(2, '0')}`, 'bulk-source': `small-${i}.csv:2-2` },
      });
    const input = path.join(dir, 'tx200k.csv');
    await generateTransactions({ rows: ROWS, seed: 24, invalidShare: 0.001, format: 'csv', out: input });
    const up = await runCli(['upload', input, '--resource', 'transactions', '--batch-size', '5000', '--json'], {
      env: { BULK_URL: server.url, BULK_STATE_DIR: path.join(dir, 'state') },
      timeoutMs: 240_000,
    });
    const doc = JSON.parse(up.stdout);
    expect(doc.counts.read).toBe(ROWS);
    runId = doc.run_id;
    // More jobs than the page's list holds (200), none of them in a run: the header must still count them.
    for (let i = 0; i < 205; i++)
      await call(server.url, 'POST', '/api/transactions/bulk/', {
        body: [tx(900_000 + i, { description: `lone-${i}` })],
      });
    await waitUntil(
      'every job to finish',
      async () => {
        const o = await call(server.url, 'GET', '/api/overview/');
        const s = o.body.jobs_by_state as Record<string, number>;
        return s.Open === 0 && s['In Progress'] === 0 ? true : undefined;
      },
      { timeoutMs: 120_000 },
    );
  }, 300_000);
  afterAll(async () => {
    holding = false;
    held.splice(0).forEach((r) => r());
    await browser?.close();
    await server?.close();
  });

  it('groups a 200k-row upload into one run row with correct totals, after a reload too; the header is the server’s', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    await page.goto(`${server.url}/`);
    for (const when of ['first load', 'after a reload']) {
      const row = runRow(page, runId);
      await row.waitFor(WAIT);
      expect(await row.count(), when).toBe(1);
      expect(await row.locator('td[data-label="File"]').textContent(), when).toContain('tx200k.csv');
      expect(await row.locator('td[data-label="File"]').textContent(), when).toContain('40 jobs');
      const run = (await call(server.url, 'GET', `/api/runs/${runId}/`)).body;
      expect(await row.locator('td[data-label="Counts"]').textContent(), when).toBe(
        `200,000 / 200,000 · ${Number(run.success_count).toLocaleString('en')} stored · ${Number(run.error_count).toLocaleString('en')} rejected`,
      );
      expect(Number(run.error_count)).toBeGreaterThan(0);
      await expect.poll(() => row.locator('ul.reasons li').count(), WAIT).toBeGreaterThan(0);
      expect(await row.locator('ul.reasons li').first().textContent()).toMatch(/ × .+ \(tx200k\.csv:\d+\)$/);
      // Jobs by state from the server: more than the 200 the list loaded.
      await expect.poll(() => stat(page, 'complete'), WAIT).toBe(40 + 205 + 21);
      // The throughput chart survives the reload: the server kept the last minutes.
      await expect
        .poll(() => page.locator('#throughput rect[height]:not([height="0.00"])').count(), WAIT)
        .toBeGreaterThan(0);
      await page.reload();
    }
    // A run opens into its jobs; Older runs pages the rest.
    await runRow(page, runId).waitFor(WAIT);
    await runRow(page, runId)
      .getByRole('button', { name: /^Jobs of run/ })
      .click();
    await expect.poll(() => page.locator('#jobs-body tr:not([hidden])').count(), WAIT).toBe(40);
    expect(await page.locator('#run-filter').textContent()).toContain(runId);
    // A job's record errors are placed in the file, as the run's are.
    const firstJob = page.locator('#jobs-body tr:not([hidden])').first();
    await firstJob.getByRole('button', { name: /^Details of/ }).click();
    await expect.poll(() => page.locator('#errors-body tr').count(), WAIT).toBeGreaterThan(0);
    expect(await page.locator('#errors-body tr td').first().textContent()).toMatch(/^tx200k\.csv:\d+$/);
    await page.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('button', { name: 'Show all jobs' }).click();
    expect(await page.locator('#runs-body tr').count()).toBe(20);
    await page.getByRole('button', { name: 'Older runs' }).click();
    await expect.poll(() => page.locator('#runs-body tr').count(), WAIT).toBe(22);
    await expect.poll(() => runRow(page, runId).count(), WAIT).toBe(1);

    for (const [width, name] of [
      [1280, 'runs-page.png'],
      [390, 'runs-page-phone.png'],
    ] as const) {
      await page.setViewportSize({ width, height: width > 400 ? 900 : 844 });
      await page.evaluate('window.scrollTo(0, 0)');
      expect(await page.evaluate<number>('document.documentElement.scrollWidth'), `${width} px`).toBeLessThanOrEqual(
        width,
      );
      await page.screenshot({
        path: path.join(process.env.UPDATE_SCREENSHOTS ? path.resolve('docs') : ARTIFACTS, name),
        fullPage: false,
      });
    }
    expect(problems).toEqual([]);
    await context.close();
  }, 180_000);

  it('Abort run stops every unfinished job of the run from its row', async () => {
    holding = true;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push(
        String(
          (
            await call(server.url, 'POST', '/api/transactions/bulk/', {
              body: Array.from({ length: 50 }, (_, k) => tx(700_000 + i * 50 + k, { description: `ab-${i}-${k}` })),
              headers: { 'bulk-run': 'zz-abort-me', 'bulk-source': `abort.csv:${2 + i * 50}-${51 + i * 50}` },
            })
          ).body.job_id,
        ),
      );
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    const row = runRow(page, 'zz-abort-me');
    await row.waitFor(WAIT);
    await row.getByRole('button', { name: /^Abort run zz-abort-me/ }).click();
    holding = false;
    held.splice(0).forEach((r) => r());
    await row.locator('td.state', { hasText: 'aborted' }).waitFor(WAIT);
    for (const id of ids) {
      const s = await call(server.url, 'GET', `/api/jobs/${id}/status/`);
      expect(s.body.state).toBe('Aborted');
    }
    expect(await row.getByRole('button', { name: /^Abort run/ }).count()).toBe(0);
    await context.close();
  }, 60_000);
});
