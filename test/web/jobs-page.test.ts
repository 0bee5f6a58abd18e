import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTokens } from '../../src/server/auth/tokens.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { call, tx, waitForFinal } from '../helpers/http.js';
import { tempDir } from '../helpers/temp.js';
import { waitUntil } from '../helpers/wait-until.js';

// The jobs page in a real browser: Debian's Chromium driven by playwright-core (no browser download).
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  const reason = `test/web/jobs-page.test.ts: ${CHROMIUM} is missing, so the browser tests of the jobs page did not run (apt-get install -y chromium)`;
  console.warn(`SKIP ${reason}`);
  if (process.env.CI) {
    mkdirSync(ARTIFACTS, { recursive: true });
    appendFileSync(path.join(ARTIFACTS, 'skips-required.txt'), `${reason}\n`);
  }
}

const TOKEN_A = 'alpha-browser-token-0123456789';
const TOKEN_B = 'bravo-browser-token-0123456789';
const auth = (t: string) => ({ authorization: `Bearer ${t}` });
const WAIT = { timeout: 20_000 };

/** The worker's chunk boundaries, held and released one at a time by the test. */
const held: (() => void)[] = [];
let holding = false;
const beforeChunk = () => (holding ? new Promise<void>((resolve) => held.push(resolve)) : undefined);
async function releaseOne(): Promise<void> {
  await waitUntil('the worker to reach a chunk boundary', () => held.length > 0);
  (held.shift() as () => void)();
}
function releaseAll(): void {
  holding = false;
  held.splice(0).forEach((r) => r());
}

let browser: Browser;
let dir: string;

async function newPage(width = 1280): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(msg.text());
  });
  return { context, page, problems };
}

const row = (page: Page, id: string) => page.locator(`tr[data-job-id="${id}"]`);
const progressOf = (page: Page, id: string) =>
  row(page, id)
    .locator('.bar')
    .evaluate((p) => Number(p.getAttribute('aria-valuenow')));
async function waitForProgress(page: Page, id: string, value: number): Promise<void> {
  // Polled from the test rather than page.waitForFunction: a string predicate is evaluated with
  // eval in the page, which the page's CSP (rightly) refuses now and then.
  await expect.poll(() => progressOf(page, id).catch(() => null), { timeout: WAIT.timeout, interval: 50 }).toBe(value);
}
const waitForState = (page: Page, id: string, state: string) =>
  row(page, id).locator('td.state', { hasText: state }).waitFor(WAIT);

beforeAll(async () => {
  if (!haveChromium) return;
  dir = tempDir('bulk-web-');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    // launch() gives the browser a new, empty profile directory of its own (--user-data-dir).
    headless: true,
  });
}, 60_000);
afterAll(async () => {
  releaseAll();
  await browser?.close();
});

describe.skipIf(!haveChromium)('the jobs page in Chromium, without tokens', () => {
  let server: RunningServer;
  let page: Page;
  let problems: string[];
  const db = () => path.join(dir, 'web.db');

  beforeAll(async () => {
    server = await startServer({ port: 0, host: '127.0.0.1', database: db(), chunkSize: 1000, beforeChunk });
    ({ page, problems } = await newPage());
    await page.goto(`${server.url}/`);
    await page.locator('#connection[data-state="connected"]').waitFor(WAIT);
    // Gone after any reload: proves the page updated itself.
    await page.evaluate('window.noReload = true');
  });
  afterAll(async () => {
    releaseAll();
    await server?.close();
  });

  it("a running job's bar moves and it reaches Job Complete without a reload", async () => {
    holding = true;
    const start = await call(server.url, 'POST', '/api/transactions/bulk/', {
      body: Array.from({ length: 5000 }, (_, i) => tx(i, { description: `live-${i}` })),
    });
    const id = String(start.body.job_id);
    await waitForState(page, id, 'Open');
    expect(await progressOf(page, id)).toBe(0);
    await releaseOne();
    await waitForProgress(page, id, 20);
    await waitForState(page, id, 'In Progress');
    await releaseOne();
    await waitForProgress(page, id, 40);
    releaseAll();
    await waitForState(page, id, 'Job Complete');
    expect(await progressOf(page, id)).toBe(100);
    await expect(row(page, id).locator('td[data-label="Counts"]').textContent()).resolves.toContain(
      '5,000 / 5,000 · 5,000 stored · 0 rejected',
    );
    // A finished job has no Abort button.
    expect(
      await row(page, id)
        .getByRole('button', { name: /^Abort/ })
        .count(),
    ).toBe(0);
    expect(await page.evaluate('window.noReload')).toBe(true);
  });

  it("a job's details show its aggregates and its record errors, paged, opened from the keyboard", async () => {
    const rows = Array.from({ length: 100 }, (_, i) =>
      i % 5 < 3 ? tx(i, { description: `err-${i}`, amount: 'not money' }) : tx(i, { description: `err-${i}` }),
    );
    const start = await call(server.url, 'POST', '/api/transactions/bulk/', { body: rows });
    const id = String(start.body.job_id);
    await waitForState(page, id, 'Job Complete');
    await row(page, id)
      .getByRole('button', { name: /^Details/ })
      .focus();
    await page.keyboard.press('Enter');
    await page.locator('#detail-title', { hasText: 'Job Complete' }).waitFor(WAIT);
    expect(await page.evaluate('document.activeElement?.id')).toBe('detail-title');
    await page.locator('#errors-caption', { hasText: 'of 60' }).waitFor(WAIT);
    expect(await page.locator('#errors-body tr').count()).toBe(50);
    expect(await page.locator('#errors-body tr').first().textContent()).toMatch(/^0amount.+/);
    await page.locator('#aggregates-list').waitFor(WAIT);
    const aggregates = await page.locator('#aggregates-list').textContent();
    expect(aggregates).toContain('failed_transactions60');
    expect(aggregates).toContain('successful_transactions40');
    await page.screenshot({ path: path.join(ARTIFACTS, 'jobs-page.png') });
    await page.getByRole('button', { name: 'Next errors' }).click();
    await page.locator('#errors-caption', { hasText: '51–60 of 60' }).waitFor(WAIT);
    expect(await page.locator('#errors-body tr').count()).toBe(10);
    expect(await page.getByRole('button', { name: 'Next errors' }).isHidden()).toBe(true);
    await page.keyboard.press('Escape');
    expect(await page.locator('#detail').isHidden()).toBe(true);
  });

  it('Abort on a running job ends it Aborted; the state filter shows only that state', async () => {
    holding = true;
    const start = await call(server.url, 'POST', '/api/transactions/bulk/', {
      body: Array.from({ length: 4000 }, (_, i) => tx(i, { description: `abort-${i}` })),
    });
    const id = String(start.body.job_id);
    await releaseOne();
    await waitForState(page, id, 'In Progress');
    const answered = page.waitForResponse(
      (r) => r.url().endsWith(`/api/jobs/${id}/abort/`) && r.request().method() === 'POST',
    );
    await row(page, id)
      .getByRole('button', { name: /^Abort/ })
      .click();
    expect((await answered).status()).toBe(202);
    releaseAll();
    await waitForState(page, id, 'Aborted');
    expect(await progressOf(page, id)).toBeLessThan(100);
    const final = await waitForFinal(server.url, id);
    expect(final.state).toBe('Aborted');

    await page.selectOption('#state-filter', 'Aborted');
    const visible = await page.locator('#jobs-body tr:visible td.state').allTextContents();
    expect(visible).toEqual(['Aborted']);
    await page.selectOption('#state-filter', '');
    expect(await page.locator('#jobs-body tr:visible').count()).toBe(3);
    expect(await page.evaluate('window.noReload')).toBe(true);
  });

  it('shows when it is disconnected and reconnects after a server restart', async () => {
    const port = server.port;
    await server.close();
    await page.locator('#connection[data-state="disconnected"]', { hasText: 'Disconnected' }).waitFor(WAIT);
    server = await startServer({ port, host: '127.0.0.1', database: db(), beforeChunk });
    await page.locator('#connection[data-state="connected"]').waitFor(WAIT);
    const start = await call(server.url, 'POST', '/api/transactions/bulk/', {
      body: [tx(1, { description: 'after-restart' })],
    });
    await waitForState(page, String(start.body.job_id), 'Job Complete');
    expect(await page.evaluate('window.noReload')).toBe(true);
  });

  it('a partly failed job: a red share of its bar, a count badge, rows/s and duration once finished; the header counts its rows', async () => {
    const body = Array.from({ length: 100 }, (_, i) =>
      tx(i, { description: `partly-${i}`, ...(i % 5 < 3 ? { amount: 'bad' } : {}) }),
    );
    const id = String(
      (
        await call(server.url, 'POST', '/api/transactions/bulk/', {
          body,
          headers: { 'bulk-source': 'transactions.csv:2-101' },
        })
      ).body.job_id,
    );
    await waitForState(page, id, 'Job Complete');
    const r = row(page, id);
    // Where its rows came from, as the client said on job start.
    expect(await r.locator('.source').textContent()).toBe('transactions.csv:2–101');
    await expect.poll(() => r.locator('.badge').textContent()).toBe('60 failed');
    type Box = { getBoundingClientRect(): { width: number }; parentElement: Box };
    const shareOfBar = (e: unknown) =>
      Math.round(
        ((e as Box).getBoundingClientRect().width / (e as Box).parentElement.getBoundingClientRect().width) * 100,
      );
    expect(await r.locator('.bar .bad').evaluate(shareOfBar)).toBe(60);
    expect(await r.locator('.bar .ok').evaluate(shareOfBar)).toBe(40);
    expect(
      await r
        .locator('.bar .bad')
        .evaluate(
          (e) =>
            (globalThis as unknown as { getComputedStyle(x: unknown): { backgroundColor: string } }).getComputedStyle(e)
              .backgroundColor,
        ),
    ).toBe('rgb(185, 28, 28)');
    expect(await r.locator('td[data-label="Rows/s"]').textContent()).not.toBe('—');
    expect(await r.locator('td[data-label="Duration"]').textContent()).not.toBe('—');
    // The header: jobs by state, rows stored and failed in the last hour, rows/s now, a chart.
    await expect
      .poll(async () => Number((await page.locator('[data-stat="failed-hour"]').textContent())?.replace(/,/g, '')))
      .toBeGreaterThanOrEqual(60);
    expect(
      Number((await page.locator('[data-stat="complete"]').textContent())?.replace(/,/g, '')),
    ).toBeGreaterThanOrEqual(1);
    await page.locator('[data-stat="rate-now"]').waitFor(WAIT);
    // The header comes from the server, read within a second of a change.
    await expect
      .poll(() => page.locator('#throughput rect[height]:not([height="0.00"])').count(), WAIT)
      .toBeGreaterThan(0);
    await page.getByRole('img', { name: /Rows per second over the last 5 minutes/ }).waitFor(WAIT);
    for (const [width, name] of [
      [1280, 'jobs-page.png'],
      [390, 'jobs-page-phone.png'],
    ] as const) {
      await page.setViewportSize({ width, height: width > 400 ? 800 : 844 });
      expect(await page.evaluate<number>('document.documentElement.scrollWidth'), `${width} px`).toBeLessThanOrEqual(
        width,
      );
      // UPDATE_SCREENSHOTS=1 refreshes the ones in docs/; otherwise they go with the test artifacts.
      await page.screenshot({
        path: path.join(process.env.UPDATE_SCREENSHOTS ? path.resolve('docs') : ARTIFACTS, name),
        fullPage: width < 400,
      });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(problems).toEqual([]);
  });

  it('fits a phone: no sideways scrolling at 390 px, each cell labelled', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    expect(
      await page.evaluate(
        `getComputedStyle(document.querySelector('#jobs-body td[data-label="State"]'), '::before').content`,
      ),
    ).toBe('"State: "');
    // The caption spans the card's width rather than wrapping into a narrow column.
    expect(
      await page.evaluate<number>("document.querySelector('#jobs-table caption').getBoundingClientRect().width"),
    ).toBeGreaterThan(300);
    expect(problems).toEqual([]);
  });
});

describe.skipIf(!haveChromium)('the jobs page in Chromium, with tokens', () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      database: path.join(dir, 'web-tokens.db'),
      tokens: parseTokens(`alice ${TOKEN_A}\nbob ${TOKEN_B}`, 'test'),
    });
  });
  afterAll(async () => server?.close());

  it("asks for a token, keeps it out of URLs and the page, and shows only that token's jobs", async () => {
    const bobBefore = String(
      (
        await call(server.url, 'POST', '/api/transactions/bulk/', {
          body: [tx(1, { description: 'bob-1' })],
          headers: auth(TOKEN_B),
        })
      ).body.job_id,
    );
    const aliceBefore = String(
      (
        await call(server.url, 'POST', '/api/transactions/bulk/', {
          body: [tx(2, { description: 'alice-1' })],
          headers: auth(TOKEN_A),
        })
      ).body.job_id,
    );
    const { context, page, problems } = await newPage();
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    await page.goto(`${server.url}/`);
    await page.getByLabel('API token').waitFor(WAIT);
    expect(await page.locator('#jobs').isHidden()).toBe(true);

    await page.getByLabel('API token').fill('wrong-token-wrong-token-00');
    await page.getByRole('button', { name: 'Use token' }).click();
    await page.locator('#login-error', { hasText: 'That token was refused' }).waitFor(WAIT);

    await page.getByLabel('API token').fill(TOKEN_A);
    await page.getByRole('button', { name: 'Use token' }).click();
    await page.locator('#connection[data-state="connected"]').waitFor(WAIT);
    await waitForState(page, aliceBefore, 'Job Complete');
    expect(await row(page, bobBefore).count()).toBe(0);

    // Live: Bob's new job runs to its end before Alice's next one exists; the page hears of Alice's only.
    const bobLive = String(
      (
        await call(server.url, 'POST', '/api/transactions/bulk/', {
          body: [tx(3, { description: 'bob-2' })],
          headers: auth(TOKEN_B),
        })
      ).body.job_id,
    );
    await waitForFinal(server.url, bobLive, 10_000, auth(TOKEN_B));
    const aliceLive = String(
      (
        await call(server.url, 'POST', '/api/transactions/bulk/', {
          body: [tx(4, { description: 'alice-2' })],
          headers: auth(TOKEN_A),
        })
      ).body.job_id,
    );
    await waitForState(page, aliceLive, 'Job Complete');
    expect(await row(page, bobLive).count()).toBe(0);
    expect(await page.locator('#jobs-body tr').count()).toBe(2);

    expect(await page.evaluate("sessionStorage.getItem('bulk.token')")).toBe(TOKEN_A);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    expect(await page.content()).not.toContain(TOKEN_A);
    expect(await page.inputValue('#token')).toBe('');
    for (const u of [...urls, page.url()]) expect(u).not.toContain(TOKEN_A.slice(0, 12));

    // Forgetting the token clears the jobs shown and asks again.
    await page.getByRole('button', { name: 'Forget token' }).click();
    await page.getByLabel('API token').waitFor(WAIT);
    expect(await page.locator('#jobs-body tr').count()).toBe(0);
    expect(await page.evaluate("sessionStorage.getItem('bulk.token')")).toBeNull();
    expect(problems).toEqual([]);
    await context.close();
  });
});
