import path from 'node:path';
import { type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../src/server/seed/demo.js';
import { hasChromium, SHOTS, startBrowserSession, type BrowserSession } from '../helpers/browser.js';
import { axeViolations } from '../helpers/axe.js';

const DAY = 86_400_000;

/** Signs in through the API like the browser does (session + CSRF cookies) and calls it as that user. */
async function apiSession(base: string, email: string) {
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: DEMO_PASSWORD }),
  });
  expect(login.status).toBe(200);
  const cookies = login.headers.getSetCookie().map((c) => c.split(';')[0]!);
  const csrf = decodeURIComponent(cookies.find((c) => c.startsWith('sg_csrf='))!.slice('sg_csrf='.length));
  return async <T>(method: string, url: string, body?: unknown): Promise<{ status: number; json: T }> => {
    const res = await fetch(`${base}/api/v1${url}`, {
      method,
      headers: { cookie: cookies.join('; '), 'x-csrf-token': csrf, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : undefined) as T };
  };
}

const isoDay = (offsetDays: number) => {
  const d = new Date(Date.now() + offsetDays * DAY);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
};

/**
 * The release pages in a real browser, as the demo release manager: a template (made through the API)
 * → create a release from it → add scope → sign off its entry gate → the gate passes and the health
 * reason it caused goes away. Screenshots land in test-results/screenshots/releases-*.png.
 */
describe.skipIf(!hasChromium)('release pages in Chromium', () => {
  let session: BrowserSession;
  let page: Page;
  let base: string;
  let consoleErrors: string[];
  let api: Awaited<ReturnType<typeof apiSession>>;

  beforeAll(async () => {
    session = await startBrowserSession({ timezoneId: 'Europe/Berlin' });
    ({ page, base, consoleErrors } = session);
    api = await apiSession(base, 'release@demo.shipgate.dev');

    // fixture: a template whose entry gate needs a sign-off by Storefront (the release manager's team)
    const template = await api('POST', '/release-templates', {
      key: 'storefront-standard',
      name: 'Storefront standard release',
      description: 'Build, acceptance, production rollout',
      definition: {
        phases: [
          { key: 'build', name: 'Build', environments: ['dev'], defaultDurationDays: 10 },
          { key: 'uat', name: 'Acceptance', environments: ['uat'], defaultDurationDays: 7 },
          { key: 'prod', name: 'Production rollout', environments: ['production'], defaultDurationDays: 3 },
        ],
        gates: [
          { key: 'scope-approved', name: 'Scope approved', afterPhase: null, approverTeam: 'storefront', quorum: 1, criteria: [{ kind: 'manual_signoff' }] },
          {
            key: 'go-live',
            name: 'Go-live',
            afterPhase: 'uat',
            criteria: [{ kind: 'no_open_blockers' }, { kind: 'custom_check', config: { name: 'test pass rate', min: 98 } }],
          },
        ],
      },
    });
    expect(template.status, JSON.stringify(template.json)).toBe(201);

    // other releases, so the list and the parent/dependency pickers have something in them
    const teams = await api<{ items: { id: string; key: string }[] }>('GET', '/teams?limit=200');
    const teamId = (key: string) => teams.json.items.find((t) => t.key === key)!.id;
    for (const body of [
      { key: 'holiday-train', name: 'Holiday release train', type: 'enterprise', releaseVersion: '2026.12', ownerTeamId: teamId('platform'), plannedStart: `${isoDay(-10)}T00:00:00Z`, plannedEnd: `${isoDay(40)}T00:00:00Z` },
      { key: 'ledger-close', name: 'Ledger year-end close', type: 'independent', releaseVersion: '7.2', ownerTeamId: teamId('payments'), plannedStart: `${isoDay(5)}T00:00:00Z`, plannedEnd: `${isoDay(60)}T00:00:00Z` },
      { key: 'search-late', name: 'Search relevance tuning', type: 'project', ownerTeamId: teamId('storefront'), plannedStart: `${isoDay(-30)}T00:00:00Z`, plannedEnd: `${isoDay(-2)}T00:00:00Z` },
    ]) {
      const created = await api('POST', '/releases', body);
      expect(created.status, JSON.stringify(created.json)).toBe(201);
    }

  });

  afterAll(async () => session?.close());

  // full-page captures start from the top (fixed header and sidebar stay in place) once dialogs have faded out;
  // dialogs are captured at viewport size
  const shot = async (name: string, fullPage = true) => {
    if (fullPage) await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(SHOTS, `releases-${name}.png`), fullPage });
  };
  /** UI.md: axe-core finds no serious or critical violations (soft: one run reports every page that fails). */
  const checkA11y = async (where: string) => expect.soft(await axeViolations(page), `axe: ${where}`).toEqual([]);

  it('signs in and lists releases with status, health and filters in the URL', async () => {
    await page.goto(`${base}/releases`);
    await page.getByLabel('Email').fill('release@demo.shipgate.dev');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/releases/);
    const table = page.getByTestId('releases-table');
    await table.getByRole('link', { name: 'holiday-train' }).waitFor();
    const late = page.getByTestId('release-row-search-late');
    await late.getByTestId('release-health').getByText(/^Late/).waitFor();
    await shot('01-list');
    await checkA11y('releases list');

    await page.getByRole('combobox', { name: 'Type' }).selectOption('enterprise');
    await page.waitForURL(/type=enterprise/);
    await expect.poll(() => table.getByRole('link', { name: 'ledger-close' }).count()).toBe(0);
    await page.reload();
    await page.getByTestId('releases-table').getByRole('link', { name: 'holiday-train' }).waitFor();
    expect(await page.getByRole('combobox', { name: 'Type' }).inputValue()).toBe('enterprise');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByTestId('releases-table').getByRole('link', { name: 'ledger-close' }).waitFor();
  });

  it('creates a release from the template, under the enterprise train', async () => {
    await page.getByRole('button', { name: 'New release' }).click();
    const dialog = page.getByRole('dialog');
    // server field errors land on the fields: a key that is taken
    await dialog.getByRole('combobox', { name: 'Template' }).selectOption({ label: 'Storefront standard release (storefront-standard)' });
    await dialog.getByText(/3 phases \(Build → Acceptance → Production rollout\), 2 gates/).waitFor();
    await dialog.getByRole('textbox', { name: /^Key/ }).fill('holiday-train');
    await dialog.getByRole('textbox', { name: /^Name/ }).fill('Checkout holiday release');
    await dialog.getByRole('textbox', { name: 'Version' }).fill('42.0');
    await dialog.getByRole('combobox', { name: 'Part of enterprise release' }).selectOption({ label: 'Holiday release train (holiday-train)' });
    await dialog.getByRole('combobox', { name: 'Owner team' }).selectOption({ label: 'Storefront (storefront)' });
    await dialog.getByLabel('Planned start').fill(isoDay(-3));
    await dialog.getByRole('button', { name: 'Create release' }).click();
    await dialog.getByText('already taken').waitFor();
    await shot('02-create-error', false);
    await checkA11y('new release dialog');

    await dialog.getByRole('textbox', { name: /^Key/ }).fill('checkout-holiday');
    await dialog.getByRole('button', { name: 'Create release' }).click();
    await page.waitForURL(/\/releases\/checkout-holiday$/);
    await page.getByRole('heading', { name: 'Checkout holiday release' }).waitFor();
    await page.getByTestId('release-status').getByText('Draft').waitFor();
    // the entry gate was due on the planned start and waits for a sign-off: at risk, and why
    await page.getByTestId('release-health').getByText(/At risk/).waitFor();
    await page.getByTestId('health-panel').getByText("Gate 'Scope approved' was due", { exact: false }).waitFor();
    const phases = page.getByTestId('phase-timeline');
    await phases.getByRole('listitem', { name: /^Phase Acceptance: .*in User acceptance test/ }).waitFor();
    await page.getByTestId('gate-scope-approved').getByText('Pending').first().waitFor();
    await page.getByTestId('gate-scope-approved').getByText('May still sign: Rhea Release', { exact: false }).waitFor();
    await page.getByText('Holiday release train').first().waitFor();
    await shot('03-release');
    await checkA11y('release page');
  });

  it('adds a work item to the scope', async () => {
    const scope = page.getByTestId('release-scope');
    await scope.getByText('No work items yet', { exact: false }).waitFor();
    await scope.getByRole('button', { name: 'Add work item' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: /^External key/ }).fill('SHOP-101');
    await dialog.getByRole('textbox', { name: /^Title/ }).fill('One-page checkout with saved cards');
    await dialog.getByRole('combobox', { name: 'Type' }).selectOption('feature');
    await dialog.getByRole('combobox', { name: 'Status category' }).selectOption('in_progress');
    await dialog.getByLabel('Blocking').check();
    await shot('04-add-work-item', false);
    await checkA11y('add work item dialog');
    await dialog.getByRole('button', { name: 'Add work item' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const row = page.getByTestId('scope-row-SHOP-101');
    await row.getByText('One-page checkout with saved cards').waitFor();
    await row.getByText('Blocking').waitFor();
    await scope.getByText('1 open blocker').waitFor();
    // the go-live gate re-evaluated: its "no open blockers" criterion now waits for SHOP-101
    await page.getByTestId('gate-go-live').getByText('1 open blocking work item', { exact: false }).waitFor();
    await shot('05-scope');
  });

  it('signs off the gate: a rejection needs a comment; approval passes the gate and the health reason goes away', async () => {
    const gate = page.getByTestId('gate-scope-approved');
    await gate.getByRole('button', { name: 'Sign off' }).click();
    const dialog = page.getByRole('dialog', { name: /Sign off gate Scope approved/ });
    await dialog.getByText('Reject', { exact: true }).click();
    await dialog.getByRole('button', { name: 'Reject gate' }).click();
    await dialog.getByText('a rejection needs a comment', { exact: false }).waitFor();
    await shot('06-signoff-reject-needs-comment', false);
    await checkA11y('sign-off dialog');

    await dialog.getByText('Approve', { exact: true }).click();
    await dialog.getByRole('textbox', { name: 'Comment' }).fill('Scope reviewed with product.');
    await dialog.getByRole('button', { name: 'Approve gate' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await gate.getByTestId('gate-status').getByText('Passed').waitFor();
    await gate.getByText('Approved by', { exact: false }).waitFor();
    await page.getByTestId('release-health').getByText('On track').waitFor();
    await expect.poll(() => page.getByTestId('health-panel').getByText("Gate 'Scope approved'", { exact: false }).count()).toBe(0);
    const history = page.getByTestId('release-history');
    await history.getByText('release.created').waitFor();
    await history.getByText('gate.signed_off').waitFor();
    await history.getByText('approve — “Scope reviewed with product.”').waitFor();
    await shot('07-gate-passed');
    await checkA11y('release page, gate passed');
  });

  it('waiver needs a reason; release notes; status moves; dependency warnings', async () => {
    const goLive = page.getByTestId('gate-go-live');
    await goLive.getByRole('button', { name: 'Waive' }).click();
    const waiver = page.getByRole('dialog', { name: /Waive gate Go-live/ });
    await waiver.getByRole('button', { name: 'Waive gate' }).click();
    await waiver.getByText('at least 10 characters', { exact: false }).waitFor();
    await shot('08-waiver', false);
    await checkA11y('waiver dialog');
    await waiver.getByRole('button', { name: 'Cancel' }).click();
    await waiver.waitFor({ state: 'hidden' });

    await page.getByRole('button', { name: 'Release notes' }).click();
    const notes = page.getByTestId('release-notes');
    await notes.getByText('SHOP-101', { exact: false }).waitFor();
    await shot('09-notes', false);
    await checkA11y('release notes');
    await page.keyboard.press('Escape');
    await notes.waitFor({ state: 'hidden' });

    await page.getByTestId('transition-menu').click();
    await page.getByRole('menuitem', { name: 'Planned' }).click();
    await page.getByTestId('release-status').getByText('Planned').waitFor();

    // a dependency planned to end after this release: a warning on the page
    const dep = await api('PUT', '/releases/checkout-holiday/dependencies', { dependsOn: ['ledger-close'] });
    expect(dep.status, JSON.stringify(dep.json)).toBe(200);
    await page.reload();
    await page.getByTestId('release-dependencies').getByRole('link', { name: 'ledger-close' }).waitFor();
    await page.getByTestId('dependency-warning').getByText("depends on 'ledger-close'", { exact: false }).waitFor();
    await shot('10-planned-with-dependency');
  });

  it('shows a refused transition with the server detail', async () => {
    // simulate another user moving it first: the server refuses the now-illegal move with 409
    await page.getByTestId('transition-menu').click();
    const inProgress = page.getByRole('menuitem', { name: /In progress/ });
    await inProgress.waitFor();
    const moved = await api('POST', '/releases/checkout-holiday/transitions', { to: 'canceled' });
    expect(moved.status, JSON.stringify(moved.json)).toBe(200);
    await inProgress.click();
    const alert = page.getByRole('dialog', { name: 'Could not change the status' }).getByRole('alert');
    await alert.waitFor();
    // the server's 409 detail, as sent
    expect(await alert.textContent()).toMatch(/cancel/i);
    await page.getByTestId('release-status').getByText('Canceled').waitFor();
    await shot('11-transition-refused', false);
    await page.getByRole('dialog', { name: 'Could not change the status' }).getByRole('button', { name: 'Close', exact: true }).click();
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    expect(consoleErrors.filter((e) => !/status of (401|409|412|422)/.test(e)), consoleErrors.join('\n')).toEqual([]);
  });

  it('shows a viewer what they may not do, and why', async () => {
    const fresh = await api('POST', '/releases', { key: 'search-spring', name: 'Search spring refresh', type: 'project', templateKey: 'storefront-standard', plannedStart: `${isoDay(7)}T00:00:00Z` });
    expect(fresh.status, JSON.stringify(fresh.json)).toBe(201);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Email').waitFor();
    await page.goto(`${base}/releases/search-spring`);
    await page.getByLabel('Email').fill('viewer@demo.shipgate.dev');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/releases\/search-spring$/);
    const signOff = page.getByTestId('gate-scope-approved').getByRole('button', { name: 'Sign off' });
    await signOff.waitFor();
    expect(await signOff.getAttribute('aria-disabled')).toBe('true');
    await signOff.hover();
    await page.getByRole('tooltip').getByText('"gate:signoff"', { exact: false }).waitFor();
    expect(await page.getByTestId('gate-go-live').getByRole('button', { name: 'Waive' }).getAttribute('aria-disabled')).toBe('true');
    expect(await page.getByRole('button', { name: 'Add work item' }).getAttribute('aria-disabled')).toBe('true');
    expect(await page.getByRole('button', { name: 'Move to…' }).getAttribute('aria-disabled')).toBe('true');
    await page.getByTestId('release-history').getByText('"audit:read"', { exact: false }).waitFor();
    await shot('12-viewer', false);
    await checkA11y('release page as viewer');

    await page.goto(`${base}/releases`);
    const create = page.getByRole('button', { name: 'New release' });
    await create.waitFor();
    expect(await create.getAttribute('aria-disabled')).toBe('true');
    expect(consoleErrors.filter((e) => !/status of (401|409|412|422)/.test(e)), consoleErrors.join('\n')).toEqual([]);
  });
});
