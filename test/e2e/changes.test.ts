import { type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/server/modules/identity/permissions.js';
import { axeViolations } from '../helpers/axe.js';
import { hasChromium, screenshots, signIn as signInAs, startBrowserSession, type BrowserSession } from '../helpers/browser.js';

/**
 * A normal change from request to close in a real browser: Chen (change manager, a CAB member) raises it, sees its
 * risk factors and the conflict with a change already planned on the same service, moves it to Assess and Authorize,
 * is refused when approving it himself (segregation of duties), two other CAB members approve it from their inbox,
 * and it is scheduled, implemented, reviewed (actual times, close code) and closed.
 * Screenshots: test-results/screenshots/changes-*.png.
 */
describe.skipIf(!hasChromium)('change requests and approvals in Chromium', () => {
  let session: BrowserSession;
  let page: Page;
  let base: string;
  let consoleErrors: string[];
  let number: string;
  const day = new Date(Date.now() + 3 * 86_400_000);
  const ymd = `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;

  beforeAll(async () => {
    session = await startBrowserSession({ timezoneId: 'Europe/Berlin' });
    ({ page, base, consoleErrors } = session);
    page.setDefaultTimeout(10_000);
    const admin = systemActor('test');
    // the demo's CAB: Chen (who raises the change below) and two other approvers
    await session.sg.services.approvals.setMembers(admin, 'cab', {
      users: ['change@demo.shipgate.dev', 'approver@demo.shipgate.dev', 'release@demo.shipgate.dev'],
    });
    // a change already planned on the same service and environment that afternoon
    await session.sg.services.changes.create(admin, {
      type: 'normal',
      title: 'Rotate the payments API signing keys',
      services: ['payments-api'],
      environments: ['production'],
      plannedStart: new Date(`${ymd}T09:30:00Z`).toISOString(),
      plannedEnd: new Date(`${ymd}T12:00:00Z`).toISOString(),
    });
  });

  afterAll(async () => session?.close());

  // `page` is set in beforeAll: take it when a shot is taken
  const shot = (name: string, target?: Locator) => screenshots(page, 'changes')(name, target);

  const signIn = (email: string, url: string, expected: RegExp) => signInAs(page, base, email, url, expected);
  const signOut = async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Email').waitFor();
  };

  const choose = async (scope: Locator, label: string, typed: string, option: RegExp | string) => {
    const input = scope.getByRole('combobox', { name: label, exact: true });
    await input.click();
    await input.fill(typed);
    await page.getByRole('option', { name: option }).filter({ visible: true }).first().click();
  };

  const move = async (to: string, fill?: (dialog: Locator) => Promise<void>) => {
    await page.getByTestId(`move-${to}`).click();
    const dialog = page.getByRole('dialog');
    await fill?.(dialog);
    await dialog.getByRole('button', { name: /^Move to / }).click();
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => page.getByTestId('change-state').first().textContent()).toBe(to[0]!.toUpperCase() + to.slice(1));
  };

  const unexpectedErrors = () => consoleErrors.filter((e) => !/status of (401|403|409|412|422)/.test(e));

  it('creates a normal change and shows its risk with the factors, and the conflict', async () => {
    await signIn('change@demo.shipgate.dev', '/changes', /\/changes$/);
    await page.getByRole('heading', { name: 'Changes' }).waitFor();
    await page.getByTestId('change-row-CHG0000001').waitFor();
    await page.getByRole('button', { name: 'New change' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Title').fill('Upgrade the payments API to TLS 1.3');
    await dialog.getByLabel('Description').fill('Switch the card authorisation endpoint to TLS 1.3 only.');
    await dialog.getByLabel('Justification').fill('PCI DSS 4.0 requires strong cryptography by the end of the quarter.');
    await choose(dialog, 'Services', 'payments', /Payments API/);
    await dialog.getByLabel('Title').click();
    await choose(dialog, 'Environments', 'prod', /Production/);
    await dialog.getByLabel('Title').click();
    await dialog.getByRole('combobox', { name: 'Assignment team' }).selectOption('payments');
    await dialog.getByRole('combobox', { name: 'Security impact' }).selectOption('low');
    await dialog.getByLabel('Planned start').fill(`${ymd}T11:00`);
    await dialog.getByLabel('Planned end').fill(`${ymd}T13:00`);
    await dialog.getByLabel('Implementation plan').fill('Deploy the new ingress configuration, then restart the pods one by one.');
    await dialog.getByLabel('Backout plan').fill('Re-apply the previous ingress configuration.');
    await dialog.getByRole('button', { name: 'Create change' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.waitForURL(/\/changes\/CHG\d+$/);
    number = (await page.getByTestId('change-number').textContent())!;
    expect(number).toBe('CHG0000002');

    expect(await page.getByTestId('change-state').first().textContent()).toBe('New');
    await page.getByTestId('risk-factors').waitFor();
    expect(await page.getByTestId('risk-panel').getByTestId('risk-level').textContent()).toMatch(/risk$/);
    expect(await page.getByTestId('risk-factors').getByRole('row').count()).toBeGreaterThan(1);
    await page.getByTestId('conflicts').getByRole('link', { name: 'CHG0000001' }).waitFor();
    // payments-api is under the regulated profile: production changes need two CAB approvals
    expect(await page.getByTestId('policy-outcome').textContent()).toBe('Needs 2 of cab');
    expect(await page.getByTestId('policy-rules').textContent()).toContain('regulated: rule production fired');
    await shot('02-change-risk');
  });

  it('moves to Assess and Authorize; the requester’s own approval is refused with a clear message', async () => {
    await move('assess');
    await move('authorize');
    const panel = page.getByTestId('approvals-panel');
    const cab = panel.getByTestId('requirement-cab');
    await cab.waitFor();
    expect(await cab.getByTestId('requirement-count').textContent()).toContain('0 of 2');
    expect(await cab.getByTestId('excluded').textContent()).toContain('Chen Change (requested this change)');
    const mayApprove = await cab.getByTestId('may-approve').textContent();
    expect(mayApprove).toContain('Amir Approver');
    expect(mayApprove).toContain('Rhea Release');
    expect(mayApprove).not.toContain('Chen Change');
    // Scheduled waits for the approvals, and says so
    expect(await page.getByTestId('move-scheduled').getAttribute('aria-disabled')).toBe('true');
    await panel.getByRole('button', { name: 'Approve' }).click();
    const refusal = panel.getByTestId('decision-error');
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('You may not decide on this change');
    expect(await refusal.textContent()).toContain('Segregation of duties: you are the requester of this change');
    await shot('03-approvals-refused', panel);
    expect(await axeViolations(page)).toEqual([]);
    await page.goto(`${base}/changes`);
    await page.getByTestId(`change-row-${number}`).waitFor();
    await shot('01-list');
    await signOut();
  });

  it('two CAB members approve it from their inbox', async () => {
    for (const email of ['approver@demo.shipgate.dev', 'release@demo.shipgate.dev']) {
      await signIn(email, '/approvals', /\/approvals$/);
      const row = page.getByTestId(`inbox-row-${number}`);
      await row.waitFor();
      if (email.startsWith('approver')) await shot('05-approvals-inbox');
      await row.getByRole('link', { name: number }).click();
      await page.waitForURL(new RegExp(`/changes/${number}$`));
      const panel = page.getByTestId('approvals-panel');
      await panel.getByLabel('Decision comment').fill('Backout plan is sound.');
      await panel.getByRole('button', { name: 'Approve' }).click();
      await panel.getByTestId('decision').filter({ hasText: 'Backout plan is sound.' }).first().waitFor();
      if (email.startsWith('approver')) await signOut();
    }
    const cab = page.getByTestId('requirement-cab');
    await expect.poll(() => cab.getByTestId('requirement-count').textContent()).toContain('2 of 2');
  });

  it('is scheduled, implemented, reviewed and closed', async () => {
    await expect.poll(() => page.getByTestId('move-scheduled').getAttribute('aria-disabled')).toBeNull();
    await move('scheduled');
    await move('implement');
    await move('review', async (dialog) => {
      await dialog.getByLabel('Actual start').fill(`${ymd}T11:05`);
      await dialog.getByLabel('Actual end').fill(`${ymd}T12:40`);
      await dialog.getByRole('combobox', { name: 'Close code' }).selectOption('successful');
      await dialog.getByLabel('Close notes').fill('All pods on TLS 1.3; no failed authorisations.');
    });
    await move('closed');
    const timeline = page.getByTestId('timeline');
    await timeline.getByText('Review → Closed').waitFor();
    expect(await page.getByTestId('details-panel').textContent()).toContain('Successful');
    expect(await axeViolations(page)).toEqual([]);
    await shot('04-closed');
    expect(unexpectedErrors(), consoleErrors.join('\n')).toEqual([]);
  });
});
