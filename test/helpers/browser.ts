import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { connectDatabase, type Database } from '../../src/server/db/connect.js';
import { createShipgate, type Shipgate } from '../../src/server/main.js';
import { DEMO_PASSWORD } from '../../src/server/seed/demo.js';
import { testConfig } from './app.js';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = fs.existsSync(CHROMIUM);
export const SHOTS = path.resolve('test-results/screenshots');

export interface BrowserSession {
  sg: Shipgate;
  base: string;
  page: Page;
  /** console errors the page logged, for tests to assert on */
  consoleErrors: string[];
  close(): Promise<void>;
}

/**
 * A Shipgate on a fresh in-memory database with the demo catalog (teams, one user per role,
 * services, environments — no release train), listening on loopback, and a fresh headless
 * Debian Chromium with the flags this machine needs and its own profile directory.
 */
export async function startBrowserSession(opts: { timezoneId?: string } = {}): Promise<BrowserSession> {
  fs.mkdirSync(SHOTS, { recursive: true });
  const database: Database = await connectDatabase({ kind: 'pglite', dataDir: null });
  const sg = await createShipgate({ config: testConfig({ seedDemo: 'catalog' }), database, logger: pino({ level: 'silent' }) });
  const base = await sg.app.listen({ port: 0, host: '127.0.0.1' });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'shipgate-chromium-'));
  const browser: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 900 },
    ...(opts.timezoneId ? { timezoneId: opts.timezoneId } : {}),
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  const consoleErrors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  return {
    sg, base, page, consoleErrors,
    async close() {
      await browser.close();
      await sg.close();
      await database.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Screenshots named `<prefix>-<name>.png` in SHOTS, with notifications hidden: the whole page from
 * the top, or one element. `viewport`: the element scrolled into view and the viewport taken
 * instead (for dialogs, whose element shot would lose the page behind). `parkPointer`: the mouse
 * moved to a corner first, so no tooltip is caught.
 */
export function screenshots(page: Page, prefix: string, opts: { viewport?: boolean; parkPointer?: boolean } = {}) {
  return async (name: string, target?: Locator) => {
    const file = path.join(SHOTS, `${prefix}-${name}.png`);
    if (opts.parkPointer) await page.mouse.move(0, 899);
    await page.evaluate(() => document.querySelectorAll<HTMLElement>('.mantine-Notification-root').forEach((n) => (n.style.visibility = 'hidden')));
    if (target && opts.viewport) await target.scrollIntoViewIfNeeded();
    await page.waitForTimeout(300);
    if (target && opts.viewport) await page.screenshot({ path: file });
    else if (target) await target.screenshot({ path: file });
    else {
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: file, fullPage: true });
    }
  };
}

/** Signs a demo user in on the sign-in page `url` redirects to, and waits for `expected`. */
export async function signIn(page: Page, base: string, email: string, url: string, expected: RegExp): Promise<void> {
  await page.goto(`${base}${url}`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(expected);
}
