/**
 * Browser-test harness: one production portal (`next start`, built once under the shared build
 * lock) on a free loopback port against a throw-away database, and a headless Debian chromium
 * driven by playwright-core. Share one harness across a test file's tests:
 *
 *   const portal = await startPortalForBrowserTests();
 *   const page = await portal.newPage();            // fresh context: no cookies
 *   await loginThroughForm(page, portal.url, email, password);
 *   ...
 *   await portal.stop();
 *
 * The first run after a source change includes a `next build` (one to two minutes on 2 cores).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { startTestDatabase, findFreePort, type TestDatabase } from '@/lib/db/testing';
import { ensurePortalBuild, nextBin, repoRoot } from '@/scripts/lib/portal-build';
import { SupervisedProcess } from '@/scripts/lib/supervised-process';

export const chromiumPath = '/usr/bin/chromium';
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Where tests put screenshots (inspect them: they are how the portal looks to a customer). */
export const screenshotDir = path.join(repoRoot, '.data', 'screenshots');

export interface PortalHarness {
  url: string;
  db: TestDatabase;
  browser: Browser;
  /** a page in a new, cookie-less browser context (desktop size unless told) */
  newPage(options?: BrowserContextOptions): Promise<Page>;
  /** the portal's output so far, for failure messages */
  log(): string;
  screenshot(page: Page, name: string): Promise<string>;
  stop(): Promise<void>;
}

async function waitForPortal(url: string, portal: SupervisedProcess, log: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!portal.running) throw new Error(`the portal exited early:\n${log()}`);
    try {
      const res = await fetch(`${url}/login`, { signal: AbortSignal.timeout(5000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the portal did not answer at ${url}:\n${log()}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

export async function startPortalForBrowserTests(
  options: { env?: Record<string, string>; buildLog?: (line: string) => void } = {},
): Promise<PortalHarness> {
  await ensurePortalBuild(repoRoot, options.buildLog ?? (() => {}));
  const db = await startTestDatabase();
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const sink = new PassThrough().on('data', (d) => (output += d));
  const portal = new SupervisedProcess(
    'portal-test',
    process.execPath,
    [nextBin, 'start', '-H', '127.0.0.1', '-p', String(port)],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        ...options.env,
        NODE_ENV: 'production',
        NEXT_TELEMETRY_DISABLED: '1',
        DATABASE_URL: db.url,
        PEC_DATA_DIR: db.dir,
        PORTAL_HOST: '127.0.0.1',
        PORTAL_PORT: String(port),
        NEXTAUTH_URL: url,
      },
    },
    { stdout: sink, stderr: sink },
  );
  let browser: Browser | undefined;
  try {
    await waitForPortal(url, portal, () => output);
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  } catch (err) {
    await portal.stop('SIGTERM', 5000);
    await db.stop();
    throw err;
  }
  const b = browser;
  return {
    url,
    db,
    browser: b,
    log: () => output,
    async newPage(contextOptions) {
      const context = await b.newContext({ viewport: { width: 1366, height: 900 }, locale: 'it-IT', ...contextOptions });
      return context.newPage();
    },
    async screenshot(page, name) {
      mkdirSync(screenshotDir, { recursive: true });
      const file = path.join(screenshotDir, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async stop() {
      await b.close().catch(() => {});
      await portal.stop('SIGTERM', 5000);
      await db.stop();
    },
  };
}

/** Fills the password step (and the TOTP step when `code` is given); leaves the page wherever login lands. */
export async function loginThroughForm(page: Page, baseUrl: string, email: string, password: string, code?: () => string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(password);
  await page.locator('[data-testid=login-form] button[type=submit]').click();
  if (code) {
    await page.locator('#code').waitFor();
    await page.locator('#code').fill(code());
    await page.locator('[data-testid=login-form] button[type=submit]').click();
  }
}
