import { type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor, type Actor, type Role } from '../../src/server/modules/identity/permissions.js';
import { axeViolations } from '../helpers/axe.js';
import { hasChromium, screenshots, signIn as signInAs, startBrowserSession, type BrowserSession } from '../helpers/browser.js';

/**
 * A CAB meeting in a real browser: Dana (developer) has two normal changes in Authorize and Rhea (release manager, a CAB
 * member) one of her own, all planned before the meeting after next. Rhea opens the demo's weekly CAB, sees the
 * agenda, is told a rejection needs a comment, approves all three at once and sees two approved and her own refused
 * (segregation of duties). The change board shows the changes by state. Chen (change manager) creates a board: the
 * server's field error lands on the RRULE field, and the new board's empty agenda explains itself.
 * Screenshots: test-results/screenshots/cab-*.png.
 */
describe.skipIf(!hasChromium)('CAB meeting and change board in Chromium', () => {
  let session: BrowserSession;
  let page: Page;
  let base: string;
  let consoleErrors: string[];
  const numbers: string[] = [];

  const userActor = async (email: string, role: Role): Promise<Actor> => {
    const user = await session.sg.services.identityRepo.userByEmail(session.sg.database.db, email);
    return { kind: 'user', id: user!.id, name: email, roles: [role], teamIds: [], serviceAccount: false, requestId: null };
  };

  beforeAll(async () => {
    session = await startBrowserSession({ timezoneId: 'Europe/Berlin' });
    ({ page, base, consoleErrors } = session);
    page.setDefaultTimeout(10_000);
    const board = await session.sg.services.cab.get(systemActor('test'), 'weekly-cab');
    // a day after the next meeting: due at the next meeting, not the one after
    const start = Date.parse(board.nextMeetings[0]!.start) + 86_400_000;
    const dana = await userActor('developer@demo.shipgate.dev', 'developer');
    const rhea = await userActor('release@demo.shipgate.dev', 'release_manager');
    const raise = async (actor: Actor, title: string, hoursLater: number) => {
      const c = await session.sg.services.changes.create(actor, {
        type: 'normal', title, description: `${title}.`, justification: 'Keeps the service supported.',
        services: ['payments-api'], environments: ['staging'], assignmentTeam: 'payments',
        implementationPlan: 'Roll out pod by pod.', backoutPlan: 'Roll back to the previous image.',
        plannedStart: new Date(start + hoursLater * 3_600_000).toISOString(), plannedEnd: new Date(start + (hoursLater + 2) * 3_600_000).toISOString(),
      } as never);
      await session.sg.services.changes.transition(actor, c.id, { to: 'assess' } as never);
      await session.sg.services.changes.transition(actor, c.id, { to: 'authorize' } as never);
      numbers.push(c.number);
    };
    await raise(dana, 'Upgrade the payments API runtime to Node 22', 0);
    await raise(dana, 'Rotate the card vault TLS certificates', 3);
    await raise(rhea, 'Enable the new payout batching', 6);
  });

  afterAll(async () => session?.close());

  // `page` is set in beforeAll: take it when a shot is taken
  const shot = (name: string, target?: Locator) => screenshots(page, 'cab')(name, target);

  const signIn = (email: string, url: string, expected: RegExp) => signInAs(page, base, email, url, expected);

  const unexpectedErrors = () => consoleErrors.filter((e) => !/status of (401|403|409|412|422)/.test(e));

  it('lists the boards and opens the next meeting’s agenda, riskiest and earliest first', async () => {
    await signIn('release@demo.shipgate.dev', '/cab', /\/cab$/);
    const row = page.getByTestId('cab-board-weekly-cab');
    await row.waitFor();
    expect(await row.textContent()).toContain('FREQ=WEEKLY;BYDAY=TU');
    expect(await row.textContent()).toContain('10:00 Europe/Berlin');
    expect(await axeViolations(page)).toEqual([]);
    await shot('01-boards');

    await row.getByRole('link', { name: 'Weekly CAB' }).click();
    await page.waitForURL(/\/cab\/weekly-cab$/);
    for (const n of numbers) await page.getByTestId(`agenda-row-${n}`).waitFor();
    const first = page.getByTestId(`agenda-row-${numbers[0]}`);
    expect(await first.getByTestId('agenda-progress').textContent()).toMatch(/\b0 of \d/);
    await expect.poll(() => page.getByTestId(`agenda-row-${numbers[2]}`).textContent()).toContain('Not you: you requested it');
    await expect.poll(() => first.getByTestId('agenda-may-approve').textContent()).toContain('Amir Approver');
    expect(await page.getByTestId('meeting-picker').inputValue()).toContain('· next');
    expect(await axeViolations(page)).toEqual([]);
    await shot('02-agenda');
  });

  it('refuses a rejection without a comment, then approves in bulk and reports each change', async () => {
    await page.getByRole('checkbox', { name: `Select ${numbers[0]}` }).check();
    const bar = page.getByTestId('bulk-bar');
    await bar.getByRole('button', { name: 'Reject selected (1)' }).click();
    await bar.getByText('A rejection needs a comment').waitFor();

    await page.getByRole('checkbox', { name: 'Select all changes on the agenda' }).check();
    await bar.getByLabel('Comment').fill('Discussed in the meeting: plans and backout are sound.');
    await bar.getByRole('button', { name: 'Approve selected (3)' }).click();
    const results = page.getByTestId('bulk-results');
    await results.waitFor();
    expect(await results.textContent()).toContain('2 of 3 approved, 1 refused');
    expect(await results.getByTestId(`result-${numbers[0]}`).textContent()).toContain('Approved');
    expect(await results.getByTestId(`result-${numbers[1]}`).textContent()).toContain('Approved');
    expect(await results.getByTestId(`result-${numbers[2]}`).textContent()).toContain('you are the requester of this change');
    await expect.poll(() => page.getByTestId(`agenda-row-${numbers[0]}`).getByTestId('agenda-progress').textContent()).toMatch(/\b1 of \d/);
    expect(await axeViolations(page)).toEqual([]);
    await shot('03-bulk-results');
  });

  it('shows the changes on a board by state', async () => {
    await page.getByTestId('nav-changes').click();
    await page.waitForURL(/\/changes$/);
    await page.getByTestId('view-toggle').getByText('Board').click();
    await page.waitForURL(/view=board/);
    const authorize = page.getByTestId('board-column-authorize');
    for (const n of numbers) await authorize.getByTestId(`board-card-${n}`).waitFor();
    for (const s of ['new', 'assess', 'scheduled', 'implement', 'review']) await page.getByTestId(`board-column-${s}`).waitFor();
    expect(await page.getByTestId('board-column-closed').count()).toBe(0);
    expect(await authorize.getByTestId('column-count').textContent()).toBe('3');
    expect(await axeViolations(page)).toEqual([]);
    await shot('04-change-board');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Email').waitFor();
  });

  it('creates a board: the server’s schedule error shows on the field; the empty agenda explains itself', async () => {
    await signIn('change@demo.shipgate.dev', '/cab', /\/cab$/);
    await page.getByRole('button', { name: 'New board' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Key').fill('emergency-board');
    await dialog.getByLabel('Name').fill('Emergency board');
    const group = dialog.getByRole('combobox', { name: 'Approver group', exact: true });
    await group.click();
    await page.getByRole('option', { name: /Emergency CAB/i }).click();
    await dialog.getByLabel('First meeting').fill('2026-01-07T08:30');
    const rrule = dialog.getByLabel('Recurrence (RRULE)');
    await rrule.fill('FREQ=SOMETIMES');
    await dialog.getByRole('button', { name: 'Create board' }).click();
    await expect.poll(() => rrule.getAttribute('aria-invalid')).toBe('true');
    expect(await dialog.getByRole('alert').first().textContent()).toContain('The meeting schedule is not valid');
    await shot('05-create-error', dialog);

    await rrule.fill('FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR');
    await dialog.getByRole('button', { name: 'Create board' }).click();
    await page.waitForURL(/\/cab\/emergency-board$/);
    await page.getByTestId('agenda-empty').waitFor();
    expect(await page.getByTestId('agenda-empty').textContent()).toContain('No changes are due at this meeting');
    expect(await axeViolations(page)).toEqual([]);
    await shot('06-empty-agenda');
    expect(unexpectedErrors(), consoleErrors.join('\n')).toEqual([]);
  });
});
