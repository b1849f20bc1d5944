import path from 'node:path';
import { type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../src/server/seed/demo.js';
import { axeViolations } from '../helpers/axe.js';
import { hasChromium, SHOTS, startBrowserSession, type BrowserSession } from '../helpers/browser.js';

/**
 * Time windows and environment bookings in a real browser, seen from New York: the release manager defines a
 * weekly Friday-evening-to-Monday-morning freeze in Europe/Berlin with the recurrence builder, checks the five
 * previewed occurrences across Europe's and America's different daylight-saving dates before saving, evaluates a
 * deployment inside it (blocked, with the next allowed slot), sees the windows on the calendar, and requests a
 * booking that an approver then approves. Screenshots: test-results/screenshots/windows-*.png.
 */
describe.skipIf(!hasChromium)('time windows and bookings in Chromium', () => {
  let session: BrowserSession;
  let page: Page;
  let base: string;
  let consoleErrors: string[];

  beforeAll(async () => {
    session = await startBrowserSession({ timezoneId: 'America/New_York' });
    ({ page, base, consoleErrors } = session);
    page.setDefaultTimeout(10_000);
  });

  afterAll(async () => session?.close());

  const shot = async (name: string, fullPage = true) => {
    if (fullPage) await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(SHOTS, `windows-${name}.png`), fullPage });
  };

  const signIn = async (email: string, url: string, expected: RegExp) => {
    await page.goto(`${base}${url}`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(expected);
  };

  /** Pick an option of a Mantine Select / MultiSelect by typing part of it. */
  const choose = async (scope: Locator, label: string, typed: string, option: RegExp | string) => {
    const input = scope.getByRole('combobox', { name: label, exact: true });
    await input.click();
    await input.fill(typed);
    await page.getByRole('option', { name: option }).filter({ visible: true }).first().click();
  };

  const unexpectedErrors = () => consoleErrors.filter((e) => !/status of (401|403|409|412|422)/.test(e));

  it('lists the demo windows in words, with their next occurrence', async () => {
    await signIn('release@demo.shipgate.dev', '/windows', /\/windows$/);
    await page.getByRole('heading', { name: 'Time windows' }).waitFor();
    const freeze = page.locator('[data-name="Weekend deployment freeze"]');
    await freeze.waitFor();
    expect(await freeze.getByTestId('window-schedule').textContent()).toBe('Every Friday 18:00 → Monday 06:00 (Europe/Berlin)');
    expect(await freeze.getByTestId('window-scope-summary').textContent()).toBe('Environments: production');
    expect(await freeze.getByTestId('window-kind').textContent()).toBe('Freeze');
    // filters live in the URL
    await page.getByRole('combobox', { name: 'Kind' }).selectOption('maintenance');
    await page.waitForURL(/kind=maintenance/);
    await page.locator('[data-name="Database maintenance window"]').waitFor();
    await freeze.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await freeze.waitFor();
  });

  it('builds a weekly freeze and previews five occurrences across daylight-saving changes before saving', async () => {
    await page.getByRole('button', { name: 'New window' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').first().fill('Spring release freeze');
    await dialog.getByRole('radio', { name: 'Freeze' }).check();
    // the zone defaults to the viewer's
    expect(await dialog.getByRole('combobox', { name: 'Time zone' }).inputValue()).toBe('America/New_York');
    await choose(dialog, 'Time zone', 'Europe/Berl', 'Europe/Berlin');
    await dialog.getByLabel('Starts').fill('2027-03-12T18:00');
    await dialog.getByLabel('Ends').fill('2027-03-15T06:00');
    await dialog.getByTestId('recurrence-builder').getByText('Weekly', { exact: true }).click();
    // the start's weekday is ticked for us
    expect(await dialog.getByRole('checkbox', { name: 'Fri' }).isChecked()).toBe(true);
    await dialog.getByRole('button', { name: 'Advanced: raw RRULE' }).click();
    const raw = dialog.getByRole('textbox', { name: /^RRULE/ });
    expect(await raw.inputValue()).toBe('FREQ=WEEKLY;BYDAY=FR');

    const preview = dialog.getByTestId('window-preview');
    await preview.getByTestId('preview-row-5').waitFor();
    const starts = await preview.getByTestId('preview-start').allTextContents();
    const ends = await preview.getByTestId('preview-end').allTextContents();
    const viewerStarts = await preview.getByTestId('preview-start-viewer').allTextContents();
    // Berlin wall clock stays 18:00 → 06:00 across Europe's change on Sunday 28 March 2027 …
    expect(starts.map((s) => s.replace(/\s+/g, ' '))).toEqual([
      expect.stringMatching(/Fri.*Mar 12, 2027.*18:00 GMT\+1$/),
      expect.stringMatching(/Fri.*Mar 19, 2027.*18:00 GMT\+1$/),
      expect.stringMatching(/Fri.*Mar 26, 2027.*18:00 GMT\+1$/),
      expect.stringMatching(/Fri.*Apr 2, 2027.*18:00 GMT\+2$/),
      expect.stringMatching(/Fri.*Apr 9, 2027.*18:00 GMT\+2$/),
    ]);
    expect(ends[2]).toMatch(/Mon.*Mar 29, 2027.*06:00 GMT\+2$/);
    // … while New York, which changes two weeks earlier (14 March), sees 12:00, then 13:00 for two weeks, then 12:00
    expect(viewerStarts.map((s) => s.match(/(\d\d:\d\d) (E[SD]T)/)?.slice(1).join(' '))).toEqual([
      '12:00 EST',
      '13:00 EDT',
      '13:00 EDT',
      '12:00 EDT',
      '12:00 EDT',
    ]);

    // the raw rule and the builder stay in sync both ways
    await raw.fill('FREQ=WEEKLY;BYDAY=FR;COUNT=8');
    expect(await dialog.getByRole('radio', { name: 'After' }).isChecked()).toBe(true);
    expect(await dialog.getByRole('textbox', { name: 'Number of occurrences' }).inputValue()).toBe('8');
    await dialog.getByRole('radio', { name: 'Never' }).check();
    expect(await raw.inputValue()).toBe('FREQ=WEEKLY;BYDAY=FR');

    // a schedule the server refuses names the field, before saving
    await dialog.getByRole('checkbox', { name: 'Fri' }).uncheck();
    await dialog.getByRole('checkbox', { name: 'Sat' }).check();
    await dialog.getByTestId('window-preview-error').waitFor();
    await dialog.getByText('is not an occurrence of the rule', { exact: false }).first().waitFor();
    expect(await dialog.getByLabel('Starts').getAttribute('aria-invalid')).toBe('true');
    await dialog.getByRole('checkbox', { name: 'Sat' }).uncheck();
    await dialog.getByRole('checkbox', { name: 'Fri' }).check();
    await preview.getByTestId('preview-row-5').waitFor();
    expect(await dialog.getByLabel('Starts').getAttribute('aria-invalid')).not.toBe('true');

    // scope: the Payments API in staging
    await choose(dialog, 'Services', 'payments', /Payments API/);
    await dialog.getByText('Applies to').click();
    await choose(dialog, 'Environments', 'stag', /Staging/);
    await dialog.getByText('Applies to').click();
    await shot('02-form-preview', false);

    await dialog.getByRole('button', { name: 'Create window' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const row = page.locator('[data-name="Spring release freeze"]');
    await row.waitFor();
    expect(await row.getByTestId('window-schedule').textContent()).toBe('Every Friday 18:00 → Monday 06:00 (Europe/Berlin)');
    expect(await row.getByTestId('window-scope-summary').textContent()).toBe('Services: payments-api · Environments: staging');
    expect(await row.getByTestId('window-next').textContent()).toContain('Mar 12, 2027');
    await shot('01-list');
  });

  it('evaluates a deployment inside the freeze: blocked, naming the window, with the next allowed slot', async () => {
    await page.getByRole('button', { name: 'Evaluate', exact: true }).click();
    const drawer = page.getByRole('dialog');
    await choose(drawer, 'Service', 'payments', /Payments API/);
    await choose(drawer, 'Environment', 'stag', /Staging/);
    // 14:00–15:00 in New York on Friday 19 March 2027 is 19:00–20:00 in Berlin
    await drawer.getByLabel('From').fill('2027-03-19T14:00');
    await drawer.getByLabel('Until').fill('2027-03-19T15:00');
    await drawer.getByRole('button', { name: 'Evaluate', exact: true }).click();
    await drawer.getByTestId('evaluation-result').waitFor();
    expect(await drawer.getByTestId('evaluation-verdict').textContent()).toBe('Blocked');
    const applied = drawer.getByTestId('evaluation-window').filter({ hasText: 'Spring release freeze' });
    expect(await applied.textContent()).toContain('Blocks');
    // the freeze ends Monday 22 March 06:00 Berlin = 01:00 New York
    expect(await drawer.getByTestId('evaluation-next-allowed').textContent()).toMatch(/Mon.*Mar 22, 2027.*01:00 EDT → .*02:00 EDT/);
    await shot('03-evaluation', false);
    // the suggested slot is allowed
    await drawer.getByRole('button', { name: 'Use this slot' }).click();
    await drawer.getByRole('button', { name: 'Evaluate', exact: true }).click();
    await expect.poll(() => drawer.getByTestId('evaluation-verdict').textContent()).toBe('Allowed');
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'hidden' });
  });

  it('has no serious or critical accessibility violations on the windows page and its form; edits skip a date', async () => {
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Edit Spring release freeze' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByTestId('preview-row-5').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    // skip the second occurrence from the preview, and save the edit
    await dialog.getByRole('button', { name: /^Skip the occurrence starting Fri.*Mar 19, 2027/ }).click();
    await dialog.getByTestId('exdate').first().waitFor();
    await expect.poll(() => dialog.getByTestId('preview-row-2').getByTestId('preview-start').textContent()).toMatch(/Mar 26, 2027/);
    await dialog.getByRole('button', { name: 'Save window' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const stored = await page.evaluate(async () => (await (await fetch('/api/v1/windows?q=Spring')).json()).items[0]);
    expect(stored.recurrence).toEqual({ rrule: 'FREQ=WEEKLY;BYDAY=FR', exdates: ['2027-03-19T18:00:00'] });
    expect(stored.version).toBe(2);
  });

  it('overlays the windows on the calendar, by kind', async () => {
    await page.getByRole('link', { name: 'On the calendar' }).click();
    await page.waitForURL(/\/calendar\?.*windows=true/);
    await page.getByTestId('windows-legend').waitFor();
    await page.getByTestId('cal-window-freeze').first().waitFor();
    expect(await page.getByTestId('cal-window-freeze').first().textContent()).toContain('Weekend deployment freeze');
    await shot('04-calendar');
  });

  it('requests a booking of staging, which another person approves', async () => {
    const day = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    await page.goto(`${base}/catalog/environments`);
    await page.getByTestId('bookings-section').waitFor();
    await page.getByRole('button', { name: 'Request booking' }).first().click();
    const dialog = page.getByRole('dialog');
    await choose(dialog, 'Environment', 'stag', /Staging/);
    await dialog.getByLabel('From').fill(`${day}T09:00`);
    await dialog.getByLabel('Until').fill(`${day}T17:00`);
    await dialog.getByLabel('Purpose').fill('Load test of the new checkout');
    await dialog.getByRole('button', { name: 'Request booking' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const row = page.getByTestId('bookings-table').getByRole('row').filter({ hasText: 'Load test of the new checkout' });
    await row.waitFor();
    expect(await row.getByTestId('booking-status').textContent()).toBe('Requested');
    // the requester cannot decide their own booking, and is told why
    const approve = row.getByRole('button', { name: 'Approve' });
    expect(await approve.getAttribute('aria-disabled')).toBe('true');
    await approve.hover();
    await page.getByRole('tooltip').getByText('someone else must approve', { exact: false }).waitFor();

    // a second request overlapping it is refused (staging refuses overlaps), naming the conflict
    await page.getByRole('button', { name: 'Request booking' }).first().click();
    await choose(dialog, 'Environment', 'stag', /Staging/);
    await dialog.getByLabel('From').fill(`${day}T12:00`);
    await dialog.getByLabel('Until').fill(`${day}T18:00`);
    await dialog.getByLabel('Purpose').fill('Overlapping request');
    await dialog.getByRole('button', { name: 'Request booking' }).click();
    await dialog.getByRole('alert').getByText('is already booked in that period', { exact: false }).waitFor();
    await dialog.getByTestId('booking-conflict-list').getByText('Team Storefront', { exact: false }).waitFor();
    await shot('06-booking-refused', false);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });

    // staging now queues overlapping requests, and the payments team decides its bookings
    await page.getByRole('button', { name: 'Edit staging' }).click();
    await dialog.getByRole('combobox', { name: 'Overlapping booking requests' }).selectOption('queue');
    await dialog.getByRole('combobox', { name: 'Booking approvers' }).selectOption('payments');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const staging = page.getByTestId('environment-row-staging').getByTestId('environment-booking-mode');
    await expect.poll(() => staging.textContent()).toBe('Overlaps queuedDecided by team payments');

    // the overlapping request is queued behind the first, and the overlap is listed
    await page.getByRole('button', { name: 'Request booking' }).first().click();
    await choose(dialog, 'Environment', 'stag', /Staging/);
    await dialog.getByLabel('From').fill(`${day}T12:00`);
    await dialog.getByLabel('Until').fill(`${day}T18:00`);
    await dialog.getByLabel('Purpose').fill('Overlapping request');
    await dialog.getByRole('button', { name: 'Request booking' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const queued = page.getByTestId('bookings-table').getByRole('row').filter({ hasText: 'Overlapping request' });
    expect(await queued.getByTestId('booking-status').textContent()).toBe('Queued #1');
    await page.getByTestId('booking-conflicts').getByText('1 overlapping booking').waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Email').waitFor();
    await signIn('approver@demo.shipgate.dev', '/catalog/environments', /\/catalog\/environments$/);
    const again = page.getByTestId('bookings-table').getByRole('row').filter({ hasText: 'Load test of the new checkout' });
    await again.getByRole('button', { name: 'Approve' }).click();
    const decide = page.getByRole('dialog');
    await decide.getByLabel('Comment').fill('Staging is free that day');
    await decide.getByRole('button', { name: 'Approve booking' }).click();
    await decide.waitFor({ state: 'hidden' });
    await expect.poll(() => again.getByTestId('booking-status').textContent()).toBe('Approved');
    expect(await again.getByTestId('booking-decision').textContent()).toBe('by Amir Approver: “Staging is free that day”');
    // the queued request still waits behind the approved booking
    const stillQueued = page.getByTestId('bookings-table').getByRole('row').filter({ hasText: 'Overlapping request' });
    expect(await stillQueued.getByTestId('booking-status').textContent()).toBe('Queued #1');
    await page.evaluate(() => document.querySelectorAll('.mantine-Notification-root').forEach((n) => n.remove()));
    await shot('05-environment-bookings');
    expect(await axeViolations(page)).toEqual([]);
    expect(unexpectedErrors(), consoleErrors.join('\n')).toEqual([]);
  });
});
