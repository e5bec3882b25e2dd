import { type Browser, type BrowserContext, chromium } from 'playwright-core';

/** Debian's chromium (scripts/install-chromium.sh installs it); playwright-core drives it, no browser download. */
export const CHROMIUM = process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium';

export interface TestBrowser {
  readonly browser: Browser;
  /** a fresh context (cookies, storage, HTTP credentials of its own) */
  context(options?: Parameters<Browser['newContext']>[0]): Promise<BrowserContext>;
  close(): Promise<void>;
}

/**
 * A headless Chromium for tests, with everything that would reach the network on its own (updates, sync, safe
 * browsing) turned off: the tests talk to local workers only. Its profile is a fresh temporary directory that
 * playwright-core makes and removes (it refuses a `--user-data-dir` of ours in `launch`).
 */
export async function startBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  return {
    browser,
    context: (options) => browser.newContext({ viewport: { width: 1400, height: 900 }, ...options }),
    async close() {
      await browser.close().catch(() => undefined);
    },
  };
}
