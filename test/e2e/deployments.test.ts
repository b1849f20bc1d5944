import { type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/server/modules/identity/permissions.js';
import { DEMO_PASSWORD } from '../../src/server/seed/demo.js';
import { axeViolations } from '../helpers/axe.js';
import { hasChromium, screenshots, startBrowserSession, type BrowserSession } from '../helpers/browser.js';

/**
 * Deployments reported by pipelines, seen in a real browser: the environment inventory (services × environments) shows
 * payments-api drifting between staging (2.4.1, with a failed 2.5.0 after it) and production (2.3.9), the history of a
 * cell, the deployment history with filters and a deployment's commits, and an unmatched report for an unknown service
 * mapped to a catalog service. Screenshots: test-results/screenshots/deployments-*.png.
 */
describe.skipIf(!hasChromium)('deployments and the environment inventory in Chromium', () => {
  let session: BrowserSession;
  let page: Page;
  let base: string;
  let consoleErrors: string[];
  let token: string;
  const ids: Record<string, string> = {};
  const ago = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();

  const report = async (name: string, body: Record<string, unknown>) => {
    const res = await fetch(`${base}/api/v1/deployments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as { id: string };
    expect(res.status, JSON.stringify(json)).toBe(201);
    ids[name] = json.id;
  };

  beforeAll(async () => {
    session = await startBrowserSession({ timezoneId: 'Europe/Berlin' });
    ({ page, base, consoleErrors } = session);
    page.setDefaultTimeout(10_000);
    // a pipeline's service account
    const admin = systemActor('test');
    const bot = await session.sg.services.identity.createUser(admin, { email: 'pipeline@deployments.test', name: 'Pipeline bot', roles: ['admin'] });
    ({ secret: token } = await session.sg.services.identity.createToken({ ...admin, id: bot.id }, { name: 'ci', expiresInDays: 1, userId: bot.id }));

    await report('staging-239', {
      service: 'payments-api', environment: 'staging', version: '2.3.9', status: 'succeeded',
      startedAt: ago(75), finishedAt: ago(74.9), source: 'cli', externalId: 'run-100',
    });
    await report('production-239', {
      service: 'payments-api', environment: 'production', version: '2.3.9', status: 'succeeded',
      startedAt: ago(72), finishedAt: ago(71.8), source: 'cli', externalId: 'run-101',
      pipelineRunId: 'run-101', pipelineUrl: 'https://ci.example.com/payments-api/runs/101',
    });
    await report('staging-241', {
      service: 'payments-api', environment: 'staging', version: '2.4.1', status: 'succeeded',
      startedAt: ago(26), finishedAt: ago(25.95), source: 'github', externalId: 'run-140',
      pipelineRunId: 'run-140', pipelineUrl: 'https://ci.example.com/payments-api/runs/140',
      artifact: 'registry.example.com/payments-api:2.4.1',
      commits: [
        { sha: 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0', author: 'Dana Developer', message: 'Retry card captures on gateway timeouts' },
        { sha: 'b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0e1', author: 'Amir Approver', message: 'Log the acquirer response code' },
      ],
    });
    await report('staging-250', {
      service: 'payments-api', environment: 'staging', version: '2.5.0', status: 'failed',
      startedAt: ago(2.2), finishedAt: ago(2), source: 'github', externalId: 'run-152',
      pipelineRunId: 'run-152', pipelineUrl: 'https://ci.example.com/payments-api/runs/152',
    });
    await report('legacy', {
      service: 'legacy-billing', environment: 'production', version: '7.1.0', status: 'succeeded',
      startedAt: ago(1.1), finishedAt: ago(1), source: 'api', externalId: 'legacy-7',
    });
  });

  afterAll(async () => session?.close());

  // `page` is set in beforeAll: take it when a shot is taken
  const shot = (name: string, target?: Locator) => screenshots(page, 'deployments', { parkPointer: true })(name, target);

  const unexpectedErrors = () => consoleErrors.filter((e) => !/status of (401|403|409|412|422)/.test(e));

  it('shows the inventory matrix with payments-api drifting between staging and production', async () => {
    await page.goto(`${base}/environments`);
    await page.getByLabel('Email').fill('release@demo.shipgate.dev');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/environments$/);
    await page.getByRole('heading', { name: 'Environments' }).waitFor();
    const row = page.getByTestId('inventory-row-payments-api');
    await row.waitFor();
    expect(await row.getAttribute('data-drift')).toBe('true');
    const drift = await row.getByTestId('drift-detail').textContent();
    expect(drift).toContain('2.4.1');
    expect(drift).toContain('2.3.9');
    const staging = page.getByTestId('cell-payments-api-staging');
    expect(await staging.getByTestId('cell-version').textContent()).toBe('2.4.1');
    // the failed newer deployment shows next to the running version
    expect(await staging.getByTestId('deployment-status').textContent()).toContain('2.5.0 failed');
    const production = page.getByTestId('cell-payments-api-production');
    expect(await production.getByTestId('cell-version').textContent()).toBe('2.3.9');
    expect(await production.getAttribute('data-differs')).toBe('true');
    expect(await staging.getAttribute('data-differs')).toBeNull();
    // a service nothing was deployed to: no drift
    expect(await page.getByTestId('inventory-row-dns').getAttribute('data-drift')).toBeNull();
    await shot('01-inventory');
    expect(await axeViolations(page)).toEqual([]);

    await page.getByTestId('only-drift').click();
    await page.waitForURL(/drift=true/);
    await page.getByTestId('inventory-row-dns').waitFor({ state: 'detached' });
    await row.waitFor();
    await shot('02-inventory-drift');
  });

  it('opens the history of a cell: the versions that ran there, with a link to each deployment', async () => {
    await page.getByTestId('cell-payments-api-staging').getByRole('button').click();
    const drawer = page.getByRole('dialog');
    await drawer.getByTestId('history-table').waitFor();
    const rows = drawer.getByTestId('history-row');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(0).textContent()).toContain('2.4.1');
    expect(await rows.nth(0).textContent()).toContain('Running now');
    expect(await rows.nth(1).textContent()).toContain('2.3.9');
    await shot('03-history', drawer);
    expect(await axeViolations(page)).toEqual([]);

    await rows.nth(0).getByRole('link', { name: 'Details' }).click();
    await page.waitForURL(new RegExp(`/deployments\\?deployment=${ids['staging-241']}`));
    const detail = page.getByTestId('deployment-drawer').getByTestId('deployment-commits');
    await detail.waitFor();
    expect(await detail.textContent()).toContain('a1b2c3d');
    expect(await detail.textContent()).toContain('Retry card captures on gateway timeouts');
    expect(await detail.textContent()).toContain('Dana Developer');
    await shot('04-deployment-drawer', page.getByRole('dialog'));
    expect(await axeViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
  });

  it('lists deployments newest first and filters them from the URL', async () => {
    await page.goto(`${base}/deployments`);
    const table = page.getByTestId('deployments-table');
    await table.waitFor();
    const rows = table.locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(5);
    expect(await rows.nth(0).getAttribute('data-testid')).toBe(`deployment-row-${ids['legacy']}`);
    const failed = page.getByTestId(`deployment-row-${ids['staging-250']}`);
    expect(await failed.getByTestId('deployment-status').textContent()).toBe('Failed');
    const pipeline = failed.getByRole('link', { name: /run-152/ });
    expect(await pipeline.getAttribute('href')).toBe('https://ci.example.com/payments-api/runs/152');
    expect(await pipeline.getAttribute('rel')).toContain('noopener');
    expect(await pipeline.getAttribute('target')).toBe('_blank');
    await shot('05-list');
    expect(await axeViolations(page)).toEqual([]);

    await page.getByRole('combobox', { name: 'Environment' }).selectOption('staging');
    await page.waitForURL(/environment=staging/);
    await expect.poll(() => rows.count()).toBe(3);
    await page.getByRole('combobox', { name: 'Status' }).selectOption('failed');
    await page.waitForURL(/status=failed/);
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.nth(0).getAttribute('data-testid')).toBe(`deployment-row-${ids['staging-250']}`);
    await shot('06-filtered');
    // the filters are in the URL: a reload keeps them
    await page.reload();
    await table.waitFor();
    await expect.poll(() => rows.count()).toBe(1);
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await expect.poll(() => rows.count()).toBe(5);
    // a period that starts tomorrow holds nothing yet
    const tomorrow = new Date(Date.now() + 86_400_000).toLocaleDateString('en-CA', { timeZone: 'Europe/Berlin' });
    await page.getByRole('textbox', { name: /^From/ }).fill(tomorrow);
    await page.waitForURL(/from=\d{4}-\d{2}-\d{2}/);
    await page.getByText('No deployments match these filters').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await expect.poll(() => rows.count()).toBe(5);
  });

  it('maps the deployment of an unknown service to a catalog service', async () => {
    await page.getByTestId('deployments-view').getByText(/^Unmatched/).click();
    await page.waitForURL(/unmatched=true/);
    const row = page.getByTestId(`deployment-row-${ids['legacy']}`);
    await row.waitFor();
    await expect.poll(() => page.getByTestId('deployments-table').locator('tbody tr').count()).toBe(1);
    expect(await row.textContent()).toContain('legacy-billing');
    expect(await row.textContent()).toContain('unknown');
    await shot('07-unmatched');
    expect(await axeViolations(page)).toEqual([]);

    expect(await row.getByTestId('map-service').textContent()).toBe('Map service to…');
    await row.getByTestId('map-service').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('combobox', { name: 'Catalog service' }).selectOption('ledger');
    await shot('08-map-dialog', dialog);
    await dialog.getByRole('button', { name: 'Map', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByTestId('unmatched-empty').waitFor();

    // the deployment is attached: the inventory shows it
    await page.getByRole('link', { name: 'Environments' }).first().click();
    await page.waitForURL(/\/environments/);
    const ledger = page.getByTestId('cell-ledger-production');
    await ledger.getByTestId('cell-version').waitFor();
    expect(await ledger.getByTestId('cell-version').textContent()).toBe('7.1.0');
    expect(unexpectedErrors()).toEqual([]);
  });
});
