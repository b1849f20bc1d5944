import type { Clock } from '../lib/clock.js';
import type { Actor } from '../modules/identity/permissions.js';
import type { GatesService } from '../modules/gates/gates.service.js';
import type { ReleaseTemplatesService } from '../modules/release-templates/release-templates.service.js';
import type { ReleasesService } from '../modules/releases/releases.service.js';
import type { WorkItemsService } from '../modules/work-items/work-items.service.js';

export interface ReleaseSeedServices {
  releaseTemplates: ReleaseTemplatesService;
  releases: ReleasesService;
  workItems: WorkItemsService;
  gates: GatesService;
}

const DAY = 86_400_000;
const iso = (d: Date) => d.toISOString();

type Item = [key: string, title: string, type: string, status: 'todo' | 'in_progress' | 'done', blocking?: boolean];

/**
 * A release train as a release manager would have it today: an enterprise release with three
 * project releases — one in UAT and on track, one in build whose entry gate is overdue (at risk),
 * one planned for next month. Dates are relative to now so the demo always looks current.
 */
export async function seedDemoReleases(svc: ReleaseSeedServices, manager: Actor, teams: Map<string, string>, clock: Clock): Promise<void> {
  const now = clock.now().getTime();
  const day = (offset: number) => new Date(Math.floor(now / DAY) * DAY + offset * DAY);

  await svc.releaseTemplates.create(manager, {
    key: 'standard-train',
    name: 'Standard release train',
    description: 'Build → SIT → UAT → Production, with scope sign-off, UAT exit criteria and a go-live sign-off by Platform.',
    definition: {
      phases: [
        { key: 'build', name: 'Build', environments: ['dev'], defaultDurationDays: 10 },
        { key: 'sit', name: 'System integration test', environments: ['sit'], defaultDurationDays: 7 },
        { key: 'uat', name: 'User acceptance test', environments: ['uat'], defaultDurationDays: 7 },
        { key: 'production', name: 'Production rollout', environments: ['staging', 'production'], defaultDurationDays: 3 },
      ],
      gates: [
        { key: 'scope-approved', name: 'Scope approved', afterPhase: null, criteria: [{ kind: 'manual_signoff' }], quorum: 1 },
        { key: 'uat-exit', name: 'UAT exit', afterPhase: 'uat', criteria: [{ kind: 'all_scope_done' }, { kind: 'no_open_blockers' }, { kind: 'custom_check', config: { name: 'test pass rate', min: 98 } }] },
        { key: 'go-live', name: 'Go-live', afterPhase: 'uat', criteria: [{ kind: 'change_approved' }, { kind: 'manual_signoff' }], approverTeam: 'platform', quorum: 1 },
      ],
      runbook: [{ title: 'Freeze the release branch', owner: 'release manager' }, { title: 'Smoke test production', owner: 'SRE' }],
    },
  });

  await svc.releases.create(manager, {
    key: 'holiday-2026', name: 'Holiday release train', type: 'enterprise', releaseVersion: '2026.12',
    plannedStart: iso(day(-20)), plannedEnd: iso(day(30)),
    description: 'Everything customers see before the holiday peak ships on this train.',
  });

  const project = async (key: string, name: string, team: string, start: number, services: string[], items: Item[]) => {
    const release = await svc.releases.create(manager, {
      key, name, type: 'project', parentId: 'holiday-2026', releaseVersion: '2026.12', templateKey: 'standard-train',
      plannedStart: iso(day(start)), services: services.map((s) => ({ service: s })), ownerTeamId: team,
    });
    for (const [externalKey, title, type, statusCategory, blocking] of items) {
      await svc.workItems.create(manager, { source: 'jira', externalKey, title, type, statusCategory, blocking: blocking ?? false, release: key, url: `https://jira.example.com/browse/${externalKey}` });
    }
    return release;
  };
  const checkout = await project('checkout-2026-12', 'Checkout for the holidays', teams.get('storefront')!, -22, ['checkout-web', 'catalog'], [
    ['SHOP-101', 'One-page checkout with saved cards', 'feature', 'done'],
    ['SHOP-102', 'Gift wrapping option', 'story', 'done'],
    ['SHOP-107', 'Address autocomplete', 'story', 'done'],
    ['SHOP-113', 'Totals rounding on multi-currency carts', 'bug', 'in_progress'],
  ]);
  const payments = await project('payments-2026-12', 'Payments: 3-D Secure 2.2', teams.get('payments')!, -6, ['payments-api', 'ledger'], [
    ['PAY-220', '3-D Secure 2.2 challenge flow', 'feature', 'in_progress', true],
    ['PAY-221', 'Ledger entries for partial captures', 'story', 'todo'],
    ['PAY-230', 'Refund webhook retries', 'bug', 'done'],
  ]);
  await project('fulfilment-2027-01', 'Fulfilment: split shipments', teams.get('fulfilment')!, 12, ['orders', 'inventory'], [
    ['FUL-12', 'Split an order across warehouses', 'feature', 'todo'],
    ['FUL-15', 'Partial shipment e-mails', 'story', 'todo'],
  ]);

  // checkout: scope signed off, running, build and SIT done, now in UAT
  await signScope(svc, manager, checkout.gates, 'Scope agreed with product and support.');
  for (const to of ['planned', 'in_progress'] as const) await svc.releases.transition(manager, 'checkout-2026-12', { to });
  const [build, sit, uat] = checkout.phases;
  await svc.releases.updatePhase(manager, 'checkout-2026-12', build!.key, { actualStart: build!.plannedStart, actualEnd: build!.plannedEnd });
  await svc.releases.updatePhase(manager, 'checkout-2026-12', sit!.key, { actualStart: sit!.plannedStart, actualEnd: sit!.plannedEnd });
  await svc.releases.updatePhase(manager, 'checkout-2026-12', uat!.key, { actualStart: uat!.plannedStart });

  // payments: started building before its scope was signed off — the overdue gate puts it at risk
  for (const to of ['planned', 'in_progress'] as const) await svc.releases.transition(manager, 'payments-2026-12', { to });
  await svc.releases.updatePhase(manager, 'payments-2026-12', payments.phases[0]!.key, { actualStart: payments.phases[0]!.plannedStart });

  await svc.releases.transition(manager, 'fulfilment-2027-01', { to: 'planned' });
  for (const to of ['planned', 'in_progress'] as const) await svc.releases.transition(manager, 'holiday-2026', { to });
}

async function signScope(svc: ReleaseSeedServices, manager: Actor, gates: { id: string; key: string }[], comment: string) {
  const gate = gates.find((g) => g.key === 'scope-approved');
  if (gate) await svc.gates.signoff(manager, gate.id, { decision: 'approve', comment });
}
