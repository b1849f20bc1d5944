import { type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/server/modules/identity/permissions.js';
import { DEMO_PASSWORD } from '../../src/server/seed/demo.js';
import { axeViolations } from '../helpers/axe.js';
import { hasChromium, screenshots, startBrowserSession, type BrowserSession } from '../helpers/browser.js';

/**
 * Governance policies in a real browser: Chen (change manager) opens the fast-lane profile, breaks its policy and
 * sees the error at its JSON pointer, fixes it, saves it as a draft and backtests the draft over the changes raised
 * on the fast-lane service `search`. Screenshots: test-results/screenshots/policies-*.png.
 */
describe.skipIf(!hasChromium)('governance policies in Chromium', () => {
  let session: BrowserSession;
  let page: Page;
  let base: string;
  let consoleErrors: string[];

  beforeAll(async () => {
    session = await startBrowserSession({ timezoneId: 'Europe/Berlin' });
    ({ page, base, consoleErrors } = session);
    page.setDefaultTimeout(10_000);
    const admin = systemActor('test');
    const closeCodes = ['successful', 'unsuccessful', null] as const;
    for (const [i, closeCode] of closeCodes.entries()) {
      const change = await session.sg.services.changes.create(admin, { type: 'normal', title: `Reindex the search catalogue, part ${i + 1}`, services: ['search'] });
      // the backtest only reads the outcome of a change: set it directly rather than walk the approval flow
      if (closeCode) await session.sg.database.db.updateTable('change_requests').set({ state: 3, close_code: closeCode }).where('id', '=', change.id).execute();
    }
  });

  afterAll(async () => session?.close());

  // `page` is set in beforeAll: take it when a shot is taken
  const shot = (name: string, target?: Locator) => screenshots(page, 'policies')(name, target);
  const source = () => page.getByLabel('Policy source');
  const validationResult = () => page.getByTestId('validation-result');

  it('lists the profiles with their active version and services', async () => {
    await page.goto(`${base}/policies`);
    await page.getByLabel('Email').fill('change@demo.shipgate.dev');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/policies$/);
    await page.getByRole('heading', { name: 'Policies' }).waitFor();
    const rows = page.getByTestId('profiles-table').locator('tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(3);
    const fastLane = page.getByTestId('profile-row-fast-lane');
    expect(await fastLane.textContent()).toContain('Version 1 (JSON)');
    expect(await fastLane.getByTestId('profile-services').textContent()).toBe('3 services');
    expect(await axeViolations(page)).toEqual([]);
    await shot('01-profiles');
  });

  it('shows a profile with its versions', async () => {
    await page.getByRole('link', { name: 'Fast lane' }).click();
    await page.waitForURL(/\/policies\/fast-lane$/);
    await page.getByTestId('version-row-1').waitFor();
    expect(await page.getByTestId('version-row-1').textContent()).toContain('Active');
    expect(await page.getByTestId('profile-services').textContent()).toContain('search');
    await page.getByTestId('version-row-1').getByRole('button', { name: 'View source' }).click();
    expect(await page.getByTestId('version-source').textContent()).toContain('"id": "risky"');
    await page.keyboard.press('Escape');
    await page.getByTestId('version-source').waitFor({ state: 'hidden' });
    expect(await axeViolations(page)).toEqual([]);
    await shot('02-profile');
  });

  it('validates an edited policy: errors at their JSON pointer, then valid', async () => {
    await page.getByRole('tab', { name: 'Edit policy' }).click();
    const active = await source().inputValue();
    expect(active).toContain('"windows": "respect"');
    await source().fill(active.replace('"windows": "respect"', '"windows": "sometimes"'));
    await page.getByRole('button', { name: 'Validate' }).click();
    await validationResult().waitFor();
    expect(await validationResult().textContent()).toContain('Not valid: 1 problem');
    expect(await page.getByTestId('validation-error').textContent()).toMatch(/^\/defaults\/windows /);
    expect(await axeViolations(page)).toEqual([]);
    await shot('03-invalid');

    // editing clears the stale result
    await source().fill(active.replace('0.15', '0.2'));
    expect(await validationResult().count()).toBe(0);
    await page.getByRole('button', { name: 'Validate' }).click();
    await page.getByText('The policy is valid: 2 rules').waitFor();
    await shot('04-valid');
  });

  it('saves the edit as a draft version, leaving version 1 active', async () => {
    await page.getByRole('button', { name: 'Save as draft' }).click();
    await page.getByText('Version 2 saved as a draft').waitFor();
    const { items } = await session.sg.services.governance.versions(systemActor('test'), 'fast-lane');
    expect(items.map((v) => [v.version, v.status])).toEqual([[1, 'active'], [2, 'draft']]);
    expect(items[1]!.source).toContain('0.2');
    await page.getByRole('tab', { name: 'Versions (2)' }).click();
    expect(await page.getByTestId('version-row-2').textContent()).toContain('Draft');
    expect(await page.getByTestId('version-row-2').textContent()).toContain('Chen Change (you)');
  });

  it('evaluates a proposed change against the draft and the active version', async () => {
    await page.getByRole('tab', { name: 'Evaluate' }).click();
    await page.getByLabel('Failure rate, 90 days (%)').fill('18');
    await page.getByRole('button', { name: 'Evaluate', exact: true }).click();
    const result = page.getByTestId('evaluation-result');
    await result.getByText('Version 2 decides').waitFor();
    expect(await result.textContent()).toContain('Auto-approved');
    await page.getByLabel('Policy version').selectOption('1');
    await page.getByRole('button', { name: 'Evaluate', exact: true }).click();
    await result.getByText('Version 1 decides').waitFor();
    expect(await result.textContent()).toContain('Needs approvals: cab (1 of them)');
    expect(await result.getByRole('row', { name: /risky/ }).textContent()).toContain('Yes');
    expect(await axeViolations(page)).toEqual([]);
    await shot('05-evaluate');
  });

  it('backtests the draft over the changes on fast-lane services', async () => {
    await page.getByRole('tab', { name: 'Backtest' }).click();
    expect(await page.getByLabel('Policy version').inputValue()).toBe('2');
    await page.getByRole('button', { name: 'Run backtest' }).click();
    await page.getByTestId('backtest-result').waitFor();
    expect(await page.getByRole('heading', { name: /^Version 2: / }).textContent()).toBe('Version 2: 3 changes');
    const counts = await page.getByTestId('backtest-outcomes').getByTestId('count').allTextContents();
    expect(counts.map(Number).reduce((a, b) => a + b, 0)).toBe(3);
    const rows = page.getByTestId('backtest-changes').locator('tbody tr');
    expect(await rows.count()).toBe(3);
    expect(await rows.allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('successful'), expect.stringContaining('unsuccessful'), expect.stringContaining('still open')]));
    expect(await axeViolations(page)).toEqual([]);
    await shot('06-backtest');
    await rows.first().getByRole('link').click();
    await page.waitForURL(/\/changes\/CHG\d+$/);
    expect(consoleErrors.filter((e) => !/status of (401|403|409|412|422)/.test(e)), consoleErrors.join('\n')).toEqual([]);
  });
});
