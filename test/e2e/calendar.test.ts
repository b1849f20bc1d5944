import path from 'node:path';
import { type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/server/lib/ids.js';
import type { Shipgate } from '../../src/server/main.js';
import { DEMO_PASSWORD } from '../../src/server/seed/demo.js';
import { hasChromium, SHOTS, startBrowserSession, type BrowserSession } from '../helpers/browser.js';
import { axeViolations } from '../helpers/axe.js';


/**
 * The calendar page in a real browser: fixture releases with phases and gates in the current month
 * (written straight into the tables, as release planning would), month grid, timeline, item drawer,
 * ICS feed creation and revocation. Screenshots land in test-results/screenshots/calendar-*.png.
 */
describe.skipIf(!hasChromium)('calendar page in Chromium', () => {
  let session: BrowserSession;
  let sg: Shipgate;
  let page: Page;
  let base: string;
  let consoleErrors: string[];
  let nextMonthSearch = '';

  beforeAll(async () => {
    session = await startBrowserSession({ timezoneId: 'Europe/Berlin' });
    ({ sg, page, base, consoleErrors } = session);

    // fixtures dated in the current month (UTC midnights: inclusive planned days)
    const now = new Date();
    const y = now.getUTCFullYear();
    const m = now.getUTCMonth();
    const day = (n: number) => new Date(Date.UTC(y, m, n));
    const db = sg.database.db;
    const team = async (key: string) => (await db.selectFrom('teams').select('id').where('key', '=', key).executeTakeFirstOrThrow()).id;
    const env = async (key: string) => (await db.selectFrom('environments').select('id').where('key', '=', key).executeTakeFirstOrThrow()).id;
    const service = async (key: string) => (await db.selectFrom('services').select('id').where('key', '=', key).executeTakeFirstOrThrow()).id;

    const checkout = newId();
    const ledger = newId();
    await db.insertInto('releases').values([
      { id: checkout, key: 'checkout-r42', name: 'Checkout one-page flow', type: 'project', status: 'planned', owner_team_id: await team('storefront'), planned_start: day(3), planned_end: day(26), updated_at: new Date(), release_version: '42.0', description: '' },
      { id: ledger, key: 'ledger-q4', name: 'Ledger Q4 close', type: 'enterprise', status: 'in_progress', owner_team_id: await team('payments'), planned_start: day(8), planned_end: day(22), updated_at: new Date(), release_version: '2026.4', description: '' },
    ]).execute();
    await db.insertInto('release_services').values([
      { release_id: checkout, service_id: await service('checkout-web'), service_version: '42.0.0' },
      { release_id: ledger, service_id: await service('ledger'), service_version: '7.1.0' },
    ]).execute();
    const build = newId();
    const uat = newId();
    const rollout = newId();
    const ledgerStaging = newId();
    const ledgerProd = newId();
    await db.insertInto('release_phases').values([
      { id: build, release_id: checkout, key: 'build', name: 'Build', position: 1, planned_start: day(3), planned_end: day(10) },
      { id: uat, release_id: checkout, key: 'uat', name: 'Acceptance', position: 2, planned_start: day(11), planned_end: day(17) },
      { id: rollout, release_id: checkout, key: 'prod', name: 'Production rollout', position: 3, planned_start: day(20), planned_end: day(26) },
      { id: ledgerStaging, release_id: ledger, key: 'staging', name: 'Staging soak', position: 1, planned_start: day(8), planned_end: day(14) },
      { id: ledgerProd, release_id: ledger, key: 'prod', name: 'Ledger cut-over', position: 2, planned_start: day(16), planned_end: day(22) },
    ]).execute();
    await db.insertInto('release_phase_environments').values([
      { phase_id: uat, environment_id: await env('uat') },
      { phase_id: rollout, environment_id: await env('production') },
      { phase_id: ledgerStaging, environment_id: await env('staging') },
      { phase_id: ledgerProd, environment_id: await env('production') },
    ]).execute();
    await db.insertInto('release_gates').values([
      { id: newId(), release_id: checkout, key: 'go-live', name: 'Go-live', after_phase_id: uat, planned_at: day(18), status: 'pending' },
      { id: newId(), release_id: ledger, key: 'sox-signoff', name: 'SOX sign-off', after_phase_id: ledgerStaging, planned_at: day(15), status: 'passed' },
    ]).execute();
    // two months ahead holds nothing: the empty state
    const later = new Date(Date.UTC(y, m + 2, 1));
    nextMonthSearch = `${later.getUTCFullYear()}-${String(later.getUTCMonth() + 1).padStart(2, '0')}`;

  });

  afterAll(async () => session?.close());

  // dialogs are captured at viewport size: a full-page capture leaves the part below the fold outside their overlay
  const shot = (name: string, fullPage = true) => page.screenshot({ path: path.join(SHOTS, `calendar-${name}.png`), fullPage });

  /** UI.md: axe-core finds no serious or critical violations (soft: one run reports every page that fails). */
  const checkA11y = async (where: string) => expect.soft(await axeViolations(page), `axe: ${where}`).toEqual([]);

  it('signs in and shows the month grid with releases, phases and gates, labelled', async () => {
    await page.goto(`${base}/calendar`);
    await page.getByLabel('Email').waitFor();
    await checkA11y('sign-in');
    await page.getByLabel('Email').fill('release@demo.shipgate.dev');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/calendar/);
    const month = page.getByTestId('calendar-month');
    await month.getByText('checkout-r42', { exact: true }).first().waitFor();
    await month.getByText('Gate Go-live · Pending').first().waitFor();
    await month.getByText('Gate SOX sign-off · Passed').first().waitFor();
    await month.getByText(/Production rollout · checkout-r42 → production/).first().waitFor();
    await shot('01-month');
    await checkA11y('calendar month');
  });

  it('filters by team through the URL', async () => {
    await page.getByRole('combobox', { name: 'Team' }).selectOption('payments');
    await page.waitForURL(/team=payments/);
    const month = page.getByTestId('calendar-month');
    await month.getByText('ledger-q4', { exact: true }).first().waitFor();
    await expect.poll(() => month.getByText('checkout-r42', { exact: true }).count()).toBe(0);
    // the link reproduces the view
    await page.reload();
    await page.getByTestId('calendar-month').getByText('ledger-q4', { exact: true }).first().waitFor();
    expect(await page.getByRole('combobox', { name: 'Team' }).inputValue()).toBe('payments');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByTestId('calendar-month').getByText('checkout-r42', { exact: true }).first().waitFor();
  });

  it('opens an item in the side panel with times in the viewer zone', async () => {
    await page.getByTestId('calendar-month').getByText('Gate Go-live · Pending').first().click();
    const drawer = page.getByRole('dialog');
    await drawer.getByText('Gate: Go-live').waitFor();
    await drawer.getByText('Checkout one-page flow').waitFor();
    await drawer.getByText(/Europe\/Berlin \((CET|GMT\+1)\)/).first().waitFor();
    await drawer.getByText('Storefront (storefront)').waitFor();
    await page.waitForTimeout(400); // let the drawer finish sliding in
    await shot('02-drawer-gate', false);
    await checkA11y('calendar drawer (gate)');
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'hidden' });
  });

  it('switches to the timeline with lanes per team, then per environment', async () => {
    await page.getByText('Timeline', { exact: true }).click();
    await page.waitForURL(/view=timeline/);
    const timeline = page.getByTestId('calendar-timeline');
    await timeline.getByRole('group', { name: 'Storefront' }).waitFor();
    await timeline.getByRole('group', { name: 'Payments' }).waitFor();
    await timeline.getByRole('button', { name: /^Phase Production rollout/ }).waitFor();
    await timeline.getByRole('button', { name: /^Gate Go-live/ }).waitFor();
    await page.getByTestId('timeline-today').waitFor();
    await shot('03-timeline-team');
    await checkA11y('calendar timeline by team');

    await timeline.getByRole('button', { name: /^Phase Ledger cut-over/ }).click();
    const drawer = page.getByRole('dialog');
    await drawer.getByText('Phase: Ledger cut-over').waitFor();
    await drawer.getByText('production', { exact: true }).waitFor();
    await drawer.getByText('Enterprise').waitFor();
    await page.waitForTimeout(400);
    await shot('04-drawer-phase', false);
    await checkA11y('calendar drawer (phase)');
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'hidden' });

    await page.getByText('Environment', { exact: true }).click();
    await page.waitForURL(/lanes=environment/);
    await timeline.getByRole('group', { name: 'Production' }).waitFor();
    await timeline.getByRole('group', { name: 'Staging' }).waitFor();
    await shot('05-timeline-environment');
    await checkA11y('calendar timeline by environment');
  });

  it('explains an empty range, a refused filter (with retry) and a truncated answer', async () => {
    await page.goto(`${base}/calendar?month=${nextMonthSearch}`);
    await page.getByText('Releases appear here once they are planned', { exact: false }).waitFor();
    await shot('06-empty');
    await checkA11y('calendar empty month');

    await page.goto(`${base}/calendar?team=no-such-team`);
    const alert = page.getByRole('alert').filter({ hasText: 'Could not load the calendar' });
    await alert.waitFor();
    await alert.getByRole('button', { name: 'Retry' }).waitFor();
    await shot('08-error');

    // the server caps one answer; the page says so (simulated: the fixture is small)
    await page.route('**/api/v1/calendar?*', async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, json: { ...(await response.json()), truncated: true } });
    });
    await page.goto(`${base}/calendar`);
    await page.getByTestId('calendar-truncated').getByText(/narrow the range or add a filter/).waitFor();
    await page.getByTestId('calendar-month').getByText('checkout-r42', { exact: true }).first().waitFor();
    await shot('09-truncated');
    await page.unroute('**/api/v1/calendar?*');
    await page.reload();
    await page.getByTestId('calendar-month').waitFor();
  });

  it('creates an ICS feed for a team, shows its URL once, and revokes it after confirmation', async () => {
    await page.getByRole('button', { name: 'Subscribe' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('combobox', { name: 'Team' }).selectOption('storefront');
    await dialog.getByRole('button', { name: 'Create feed' }).click();
    const url = dialog.getByRole('textbox', { name: 'Subscription URL' });
    await url.waitFor();
    const value = await url.inputValue();
    expect(value).toMatch(new RegExp(`^${base}/calendar/feeds/[\\w-]+\\.ics$`));
    await dialog.getByText('Shown only once').waitFor();
    await dialog.getByTestId('feeds-table').getByText('Storefront').first().waitFor();
    await page.waitForTimeout(300);
    await shot('07-feed-created', false);
    await checkA11y('calendar feed dialog');

    // the secret URL serves the team's releases to calendar apps
    const ics = await fetch(value);
    expect(ics.status).toBe(200);
    expect(await ics.text()).toContain('BEGIN:VCALENDAR');

    await dialog.getByRole('button', { name: /^Revoke/ }).first().click();
    const confirm = page.getByRole('dialog', { name: /Revoke feed/ });
    await confirm.getByRole('button', { name: 'Revoke feed' }).click();
    await page.getByText('Feed revoked').first().waitFor();
    expect((await fetch(value)).status).toBe(404);
    // only what the test provoked on purpose: 401 before signing in, 422 for the unknown team
    expect(consoleErrors.filter((e) => !/status of (401|422)/.test(e)), consoleErrors.join('\n')).toEqual([]);
  });
});
