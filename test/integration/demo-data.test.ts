import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

describe('demo data', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { config: { seedDemo: true } });
  });
  afterAll(async () => t?.close());

  it('has a catalog: teams, a user per role, services with dependencies, five environments', async () => {
    expect(t.sg.demoLogins?.map((l) => l.role)).toEqual(['admin', 'release_manager', 'change_manager', 'approver', 'developer', 'auditor', 'viewer']);
    const services = (await t.request({ method: 'GET', url: '/api/v1/services?limit=200' })).json().items;
    expect(services.length).toBeGreaterThanOrEqual(10);
    expect(services.filter((s: { dependsOn: unknown[] }) => s.dependsOn.length > 0).length).toBeGreaterThan(5);
    expect((await t.request({ method: 'GET', url: '/api/v1/environments' })).json().items).toHaveLength(5);
  });

  it('has recurring time windows: a weekend freeze on production, a year-end blackout for tier 1, a database maintenance window', async () => {
    const windows = (await t.request({ method: 'GET', url: '/api/v1/windows?limit=50' })).json().items;
    expect(windows.map((w: { kind: string }) => w.kind).sort()).toEqual(['blackout', 'freeze', 'maintenance']);
    const freeze = windows.find((w: { kind: string }) => w.kind === 'freeze');
    expect(freeze).toMatchObject({ name: 'Weekend deployment freeze', timeZone: 'Europe/Berlin', scope: { environments: [{ key: 'production' }] } });
    expect(freeze.nextOccurrences).toHaveLength(5);
    expect(freeze.nextOccurrences[0].startLocal).toMatch(/T18:00:00$/);
    const tagged = (await t.request({ method: 'GET', url: '/api/v1/services/payments-api' })).json();
    expect(tagged.tags).toEqual(['customer-facing', 'pci']);
  });

  it('has an enterprise release train with three project releases in different phases, one at risk', async () => {
    const releases = (await t.request({ method: 'GET', url: '/api/v1/releases?limit=50' })).json().items;
    const train = releases.find((r: { type: string }) => r.type === 'enterprise');
    const projects = releases.filter((r: { parent: { key: string } | null }) => r.parent?.key === train.key);
    expect(projects).toHaveLength(3);
    expect(new Set(projects.map((r: { status: string }) => r.status))).toEqual(new Set(['in_progress', 'planned']));
    const atRisk = projects.filter((r: { health: { status: string } }) => r.health.status === 'at_risk');
    expect(atRisk.map((r: { key: string }) => r.key)).toEqual(['payments-2026-12']);
    expect(atRisk[0].health.reasons[0].message).toContain('Scope approved');
    const scope = (await t.request({ method: 'GET', url: '/api/v1/releases/checkout-2026-12/scope' })).json();
    expect(scope.counts).toMatchObject({ done: 3 });
  });
});
