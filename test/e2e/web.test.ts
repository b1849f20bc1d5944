import path from 'node:path';
import { type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Shipgate } from '../../src/server/main.js';
import { DEMO_PASSWORD } from '../../src/server/seed/demo.js';
import { hasChromium, SHOTS, startBrowserSession, type BrowserSession } from '../helpers/browser.js';
import { axeViolations } from '../helpers/axe.js';


/**
 * The web UI in a real browser against a real server (embedded database, demo data): sign in,
 * browse the catalog, create a service. Screenshots of each page land in test-results/screenshots.
 */
describe.skipIf(!hasChromium)('web UI in Chromium', () => {
  let session: BrowserSession;
  let sg: Shipgate;
  let page: Page;
  let base: string;
  let consoleErrors: string[];

  beforeAll(async () => {
    session = await startBrowserSession({});
    ({ sg, page, base, consoleErrors } = session);
  });

  afterAll(async () => session?.close());

  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

  /** UI.md: axe-core finds no serious or critical violations (soft: one run reports every page that fails). */
  const checkA11y = async (where: string) => expect.soft(await axeViolations(page), `axe: ${where}`).toEqual([]);

  it('sends a signed-out visitor to the sign-in page, and refuses a wrong password', async () => {
    await page.goto(`${base}/catalog/services`);
    await page.getByLabel('Email').waitFor();
    await shot('01-sign-in');
    await checkA11y('sign-in');
    await page.getByLabel('Email').fill('release@demo.shipgate.dev');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('The e-mail or password is not correct.').waitFor();
    await checkA11y('sign-in with error');
  });

  it('signs in and lists the demo services', async () => {
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/catalog\/services/);
    const table = page.getByTestId('services-table');
    await table.getByRole('link', { name: 'payments-api', exact: true }).or(table.getByText('payments-api', { exact: true })).first().waitFor();
    await table.getByText('checkout-web', { exact: true }).first().waitFor();
    await shot('02-services');
    await checkA11y('services list');
  });

  it('creates a service through the form and shows it in the list', async () => {
    await page.getByRole('button', { name: 'New service' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Key').fill('billing');
    await dialog.getByRole('textbox', { name: /^Name/ }).fill('Billing');
    await dialog.getByLabel('Description').fill('Invoices and dunning');
    await dialog.getByRole('combobox', { name: /^Tier/ }).selectOption('2');
    await shot('03-new-service-form');
    await checkA11y('new service dialog');
    await dialog.getByRole('button', { name: 'Create service' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByTestId('services-table').getByText('billing', { exact: true }).waitFor();
    await shot('04-service-created');
    const created = await sg.services.services.get({ kind: 'system', id: null, name: 't', roles: ['admin'], teamIds: [], serviceAccount: false, requestId: null }, 'billing');
    expect(created).toMatchObject({ name: 'Billing', description: 'Invoices and dunning', tier: 2 });
  });

  it('shows the server problem detail when the key is already taken', async () => {
    await page.getByRole('button', { name: 'New service' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Key').fill('ledger');
    await dialog.getByRole('textbox', { name: /^Name/ }).fill('Another ledger');
    await dialog.getByRole('combobox', { name: /^Tier/ }).selectOption('1');
    await dialog.getByRole('button', { name: 'Create service' }).click();
    await dialog.getByText(/already/i).first().waitFor();
    await shot('05-duplicate-key');
    await checkA11y('new service dialog with server error');
    await page.keyboard.press('Escape');
  });

  it('lists environments in promotion order with their change control', async () => {
    await page.goto(`${base}/catalog/environments`);
    await page.getByText('Production', { exact: true }).first().waitFor();
    await page.getByText('Change-controlled').first().waitFor();
    await shot('06-environments');
    await checkA11y('environments');
    await page.goto(`${base}/audit`);
    await page.getByText('service.created').first().waitFor();
    await shot('07-audit');
    await checkA11y('audit');
    // the browser logs every 4xx the test provoked on purpose (wrong password, duplicate key); nothing else may appear
    expect(consoleErrors.filter((e) => !/status of (401|409)/.test(e))).toEqual([]);
  });

  it('signs in and opens "New service" with the keyboard alone, focus always visible', async () => {
    await page.context().clearCookies();
    await page.goto(`${base}/catalog/services`);
    await page.getByLabel('Email').waitFor();
    /** The focused element: its accessible-ish name, and whether a focus indicator (outline or box-shadow) shows. */
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el || el === document.body) return { name: '', visible: false };
        const style = getComputedStyle(el);
        const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
        const shadow = style.boxShadow !== 'none' && style.boxShadow !== '';
        const label = el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null;
        const name = (el.getAttribute('aria-label') ?? label ?? el.textContent ?? '').trim() || el.outerHTML.slice(0, 120);
        return { name, visible: outline || shadow };
      });
    /** Tabs (unless already there) until the focused element's name matches, checking the focus indicator on every stop. */
    const tabTo = async (name: RegExp) => {
      const current = await focused(); // the sign-in form focuses its first field itself
      if (name.test(current.name)) return expect(current.visible, `focus indicator on "${current.name}"`).toBe(true);
      for (let i = 0; i < 60; i++) {
        await page.keyboard.press('Tab');
        const f = await focused();
        expect(f.visible, `focus indicator on "${f.name}"`).toBe(true);
        if (name.test(f.name)) return;
      }
      throw new Error(`never reached ${name} with Tab`);
    };
    await tabTo(/^Email/);
    await page.keyboard.type('release@demo.shipgate.dev');
    await tabTo(/^Password/);
    await page.keyboard.type(DEMO_PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/catalog\/services/);
    await page.getByTestId('services-table').waitFor();
    await tabTo(/^New service$/);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Key').waitFor();
    // focus moved into the dialog
    expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
    await checkA11y('new service dialog, opened by keyboard');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
  });
});
