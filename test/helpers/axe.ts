import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SCRIPT = require.resolve('axe-core/axe.min.js');
let axeSource: string | undefined;

/** The impacts UI.md forbids: "axe-core finds no serious or critical violations". */
const BLOCKING = new Set(['serious', 'critical']);

interface AxeViolation {
  id: string;
  impact?: string | null;
  help: string;
  nodes: { target: unknown[]; any: { message: string }[]; all: { message: string }[] }[];
}

/**
 * Runs axe-core on the page as it is now (injecting axe.min.js once per document) and returns its serious and
 * critical violations, one readable line each — rule id, impact, help and up to three target selectors — so a
 * failing `expect(...).toEqual([])` says what to fix and where.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  // dialogs and drawers fade/slide in: colours mid-transition are not what the user reads (skeleton pulses never end)
  await page
    .waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity), null, { timeout: 2_000 })
    .catch(() => undefined);
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe !== 'undefined');
  // not page.addScriptTag: Shipgate's CSP (script-src 'self') refuses inline scripts, as it should; an evaluated
  // script comes through the DevTools protocol, which the page's CSP does not govern
  if (!loaded) await page.evaluate((axeSource ??= fs.readFileSync(AXE_SCRIPT, 'utf8')));
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact ?? null, help: v.help, targets: v.nodes.map((n) => JSON.stringify(n.target)), first: [...v.nodes[0].any, ...v.nodes[0].all].map((c) => c.message).join('; ') }));
  });
  return violations
    .filter((v) => v.impact !== null && BLOCKING.has(v.impact))
    .map((v) => {
      const more = v.targets.length > 3 ? ` (+${v.targets.length - 3} more)` : '';
      return `${v.id} [${v.impact}] ${v.help} — ${v.targets.slice(0, 3).join(', ')}${more} — first: ${v.first.slice(0, 200)}`;
    });
}
