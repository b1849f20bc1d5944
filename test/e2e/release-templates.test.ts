import path from 'node:path';
import { type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../src/server/seed/demo.js';
import { hasChromium, SHOTS, startBrowserSession, type BrowserSession } from '../helpers/browser.js';


/**
 * Release templates in a real browser, as the demo release manager: create a template with two phases and a
 * gate in the structured editor, edit it (template version 2), see a server field error on the right row,
 * delete it; a viewer sees disabled buttons. Screenshots: test-results/screenshots/templates-*.png.
 */
describe.skipIf(!hasChromium)('release templates in Chromium', () => {
  let session: BrowserSession;
  let page: Page;
  let base: string;
  let consoleErrors: string[];

  beforeAll(async () => {
    session = await startBrowserSession({ timezoneId: 'Europe/Berlin' });
    ({ page, base, consoleErrors } = session);
  });

  afterAll(async () => session?.close());

  const shot = async (name: string, fullPage = true) => {
    if (fullPage) await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(SHOTS, `templates-${name}.png`), fullPage });
  };

  /** Pick an option of a Mantine MultiSelect, then close its dropdown by clicking the row's legend. */
  const pick = async (scope: Locator, label: string, option: RegExp) => {
    await scope.getByLabel(label).click();
    await page.getByRole('option', { name: option }).click();
    await scope.locator('legend').click();
  };

  const group = (dialog: Locator, name: string) => dialog.getByRole('group', { name, exact: true });

  it('reaches the templates from the Releases page and shows the empty state', async () => {
    await page.goto(`${base}/releases`);
    await page.getByLabel('Email').fill('release@demo.shipgate.dev');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/releases$/);
    await page.getByRole('link', { name: 'Templates' }).click();
    await page.waitForURL(/\/releases\/templates$/);
    await page.getByRole('heading', { name: 'Release templates' }).waitFor();
    await page.getByText('No release templates yet').waitFor();
    await shot('01-empty');
  });

  it('creates a template with two phases and a gate', async () => {
    await page.getByRole('button', { name: 'New template' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: /^Key/ }).first().fill('storefront-standard');
    await dialog.getByRole('textbox', { name: /^Name/ }).first().fill('Storefront standard release');

    const p1 = group(dialog, 'Phase 1');
    await p1.getByRole('textbox', { name: /^Key/ }).fill('build');
    await p1.getByRole('textbox', { name: /^Name/ }).fill('Build');
    await pick(p1, 'Environments', /\(dev\)/);
    await pick(p1, 'Environments', /\(sit\)/);
    await p1.getByRole('textbox', { name: /^Days/ }).fill('10');

    await dialog.getByRole('button', { name: 'Add phase' }).click();
    const p2 = group(dialog, 'Phase 2');
    await p2.getByRole('textbox', { name: /^Key/ }).fill('prod');
    await p2.getByRole('textbox', { name: /^Name/ }).fill('Production rollout');
    await pick(p2, 'Environments', /\(production\)/);
    await p2.getByRole('textbox', { name: /^Days/ }).fill('3');

    await dialog.getByRole('button', { name: 'Add gate' }).click();
    const g1 = group(dialog, 'Gate 1');
    await g1.getByRole('textbox', { name: /^Key/ }).fill('go-live');
    await g1.getByRole('textbox', { name: /^Name/ }).fill('Go-live');
    await g1.getByRole('combobox', { name: 'After phase' }).selectOption({ label: '1. Build (build)' });
    await pick(g1, 'Criteria', /^No open blockers/);
    await pick(g1, 'Criteria', /^Custom check/);
    await g1.getByRole('textbox', { name: 'Custom check min' }).fill('98');
    await g1.getByRole('combobox', { name: 'Approver team' }).selectOption({ label: 'Storefront (storefront)' });
    await g1.getByRole('textbox', { name: 'Quorum' }).fill('2');
    await shot('02-create-form', false);

    await dialog.getByRole('button', { name: 'Create template' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const row = page.getByTestId('template-row-storefront-standard');
    await row.getByText('Storefront standard release').waitFor();
    expect(await row.getByTestId('template-version').textContent()).toBe('v1');
    expect(await row.getByTestId('template-phases-count').textContent()).toBe('2');
    expect(await row.getByTestId('template-gates-count').textContent()).toBe('1');

    // what the server stored
    const res = await page.evaluate(async () => (await fetch('/api/v1/release-templates/storefront-standard')).json());
    expect(res.definition).toEqual({
      phases: [
        { key: 'build', name: 'Build', environments: ['dev', 'sit'], defaultDurationDays: 10 },
        { key: 'prod', name: 'Production rollout', environments: ['production'], defaultDurationDays: 3 },
      ],
      gates: [
        {
          key: 'go-live',
          name: 'Go-live',
          afterPhase: 'build',
          criteria: [{ kind: 'no_open_blockers' }, { kind: 'custom_check', config: { min: 98 } }],
          approverTeam: 'storefront',
          quorum: 2,
        },
      ],
    });
    await shot('03-list');
  });

  it('edits it: a changed definition is template version 2', async () => {
    await page.getByRole('button', { name: 'Edit storefront-standard' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByTestId('template-version-hint').getByText('Template version 1', { exact: false }).waitFor();
    // reorder: a UAT phase first, then move it between build and prod
    await dialog.getByRole('button', { name: 'Add phase' }).click();
    const p3 = group(dialog, 'Phase 3');
    await p3.getByRole('textbox', { name: /^Key/ }).fill('uat');
    await p3.getByRole('textbox', { name: /^Name/ }).fill('Acceptance');
    await p3.getByRole('textbox', { name: /^Days/ }).fill('7');
    await dialog.getByRole('button', { name: 'Move phase 3 up' }).click();
    expect(await group(dialog, 'Phase 2').getByRole('textbox', { name: /^Key/ }).inputValue()).toBe('uat');
    await dialog.getByRole('button', { name: 'Add runbook task' }).click();
    const r1 = group(dialog, 'Runbook task 1');
    await r1.getByRole('textbox', { name: /^Title/ }).fill('Freeze the release branch');
    await r1.getByRole('textbox', { name: 'Owner' }).fill('Release manager');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const row = page.getByTestId('template-row-storefront-standard');
    await expect.poll(() => row.getByTestId('template-version').textContent()).toBe('v2');
    expect(await row.getByTestId('template-phases-count').textContent()).toBe('3');
  });

  it('shows a server field error on the row it is about', async () => {
    await page.getByRole('button', { name: 'Edit storefront-standard' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByTestId('template-version-hint').getByText('Template version 2', { exact: false }).waitFor();
    // duplicate key: only the server checks that
    await group(dialog, 'Phase 3').getByRole('textbox', { name: /^Key/ }).fill('build');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByRole('alert').getByText('not valid', { exact: false }).waitFor();
    await group(dialog, 'Phase 3').getByText("duplicate phase key 'build'").waitFor();
    expect(await group(dialog, 'Phase 3').getByRole('textbox', { name: /^Key/ }).getAttribute('aria-invalid')).toBe('true');
    expect(await group(dialog, 'Phase 1').getByRole('textbox', { name: /^Key/ }).getAttribute('aria-invalid')).not.toBe('true');
    await shot('04-field-error', false);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await page.getByTestId('template-row-storefront-standard').getByTestId('template-version').textContent()).toBe('v2');
  });

  it('deletes with a confirmation that says releases keep their copy', async () => {
    await page.getByRole('button', { name: 'Delete storefront-standard' }).click();
    const dialog = page.getByRole('dialog', { name: /Delete release template storefront-standard/ });
    await dialog.getByText('keeps its own copy', { exact: false }).waitFor();
    await shot('05-delete', false);
    await dialog.getByRole('button', { name: 'Delete template' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByText('No release templates yet').waitFor();
    expect(consoleErrors.filter((e) => !/status of (401|409|412|422)/.test(e)), consoleErrors.join('\n')).toEqual([]);
  });

  it('shows a viewer disabled buttons, and why', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Email').waitFor();
    await page.goto(`${base}/releases/templates`);
    await page.getByLabel('Email').fill('viewer@demo.shipgate.dev');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/releases\/templates$/);
    const create = page.getByRole('button', { name: 'New template' });
    await create.waitFor();
    expect(await create.getAttribute('aria-disabled')).toBe('true');
    await create.hover();
    await page.getByRole('tooltip').getByText('"release_template:write"', { exact: false }).waitFor();
    await shot('06-viewer', false);
    expect(consoleErrors.filter((e) => !/status of (401|409|412|422)/.test(e)), consoleErrors.join('\n')).toEqual([]);
  });
});
