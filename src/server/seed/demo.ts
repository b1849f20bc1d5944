import type { Logger } from 'pino';
import type { Db } from '../db/tx.js';
import { DomainError } from '../lib/errors.js';
import type { IdentityRepo } from '../modules/identity/identity.repo.js';
import type { IdentityService } from '../modules/identity/identity.service.js';
import { systemActor, type Actor, type Role } from '../modules/identity/permissions.js';
import type { Clock } from '../lib/clock.js';
import { seedDemoReleases, type ReleaseSeedServices } from './demo-releases.js';
import { hashPassword } from '../modules/identity/secrets.js';
import type { CabService } from '../modules/approvals/cab.service.js';
import type { BookingsService } from '../modules/bookings/bookings.service.js';
import type { EnvironmentsService } from '../modules/environments/environments.service.js';
import type { ServicesService } from '../modules/services/services.service.js';
import type { TeamsService } from '../modules/teams/teams.service.js';
import type { WindowCreate } from '../modules/windows/windows.schemas.js';
import type { WindowsService } from '../modules/windows/windows.service.js';
import { installExampleProfiles, type ExampleInstallServices } from '../modules/governance/examples.js';

export const DEMO_PASSWORD = 'shipgate-demo';

export interface DemoLogin {
  email: string;
  role: Role;
}

const TEAMS = [
  { key: 'payments', name: 'Payments', description: 'Card processing, ledger and payouts' },
  { key: 'platform', name: 'Platform', description: 'Shared infrastructure, identity and data stores' },
  { key: 'storefront', name: 'Storefront', description: 'Web shop, catalog and search' },
  { key: 'fulfilment', name: 'Fulfilment', description: 'Orders, inventory and shipping' },
];

const USERS: { email: string; name: string; role: Role; team: string }[] = [
  { email: 'admin@demo.shipgate.dev', name: 'Ada Admin', role: 'admin', team: 'platform' },
  { email: 'release@demo.shipgate.dev', name: 'Rhea Release', role: 'release_manager', team: 'storefront' },
  { email: 'change@demo.shipgate.dev', name: 'Chen Change', role: 'change_manager', team: 'platform' },
  { email: 'approver@demo.shipgate.dev', name: 'Amir Approver', role: 'approver', team: 'payments' },
  { email: 'developer@demo.shipgate.dev', name: 'Dana Developer', role: 'developer', team: 'payments' },
  { email: 'auditor@demo.shipgate.dev', name: 'Aud Auditor', role: 'auditor', team: 'platform' },
  { email: 'viewer@demo.shipgate.dev', name: 'Vic Viewer', role: 'viewer', team: 'fulfilment' },
];

// listed so that every dependency is created before its dependents
const SERVICES: { key: string; name: string; tier: number; team: string; profile: string; dependsOn: string[]; description: string; tags?: string[] }[] = [
  { key: 'postgres-main', name: 'Main PostgreSQL cluster', tier: 1, team: 'platform', profile: 'regulated', dependsOn: [], description: 'Primary relational database', tags: ['database'] },
  { key: 'dns', name: 'DNS', tier: 1, team: 'platform', profile: 'regulated', dependsOn: [], description: 'Public and internal DNS zones' },
  { key: 'identity', name: 'Identity service', tier: 1, team: 'platform', profile: 'regulated', dependsOn: ['postgres-main'], description: 'Sign-in, sessions and tokens', tags: ['security'] },
  { key: 'api-gateway', name: 'API gateway', tier: 1, team: 'platform', profile: 'standard', dependsOn: ['dns', 'identity'], description: 'Edge routing and rate limiting' },
  { key: 'ledger', name: 'Ledger', tier: 1, team: 'payments', profile: 'regulated', dependsOn: ['postgres-main'], description: 'Double-entry ledger (SOX scope)', tags: ['sox'] },
  { key: 'payments-api', name: 'Payments API', tier: 1, team: 'payments', profile: 'regulated', dependsOn: ['ledger', 'identity'], description: 'Card authorisation and capture (PCI scope)', tags: ['pci', 'customer-facing'] },
  { key: 'catalog', name: 'Product catalog', tier: 2, team: 'storefront', profile: 'standard', dependsOn: ['postgres-main'], description: 'Products, prices and availability', tags: ['customer-facing'] },
  { key: 'search', name: 'Search', tier: 3, team: 'storefront', profile: 'fast-lane', dependsOn: ['catalog'], description: 'Product search index' },
  { key: 'inventory', name: 'Inventory', tier: 2, team: 'fulfilment', profile: 'standard', dependsOn: ['postgres-main'], description: 'Stock levels per warehouse' },
  { key: 'orders', name: 'Orders', tier: 1, team: 'fulfilment', profile: 'standard', dependsOn: ['inventory', 'payments-api'], description: 'Order lifecycle' },
  { key: 'checkout-web', name: 'Checkout web app', tier: 1, team: 'storefront', profile: 'standard', dependsOn: ['api-gateway', 'orders', 'catalog'], description: 'Customer-facing checkout', tags: ['customer-facing', 'pci'] },
  { key: 'notifications', name: 'Notifications', tier: 3, team: 'fulfilment', profile: 'fast-lane', dependsOn: ['orders'], description: 'E-mail and SMS to customers' },
  { key: 'reporting', name: 'Reporting', tier: 4, team: 'payments', profile: 'fast-lane', dependsOn: ['ledger', 'orders'], description: 'Finance and operations reports' },
];

const ENVIRONMENTS = [
  { key: 'dev', name: 'Development', tier: 'development', order: 10, changeControlled: false, description: 'Shared integration of main branches' },
  { key: 'sit', name: 'System integration test', tier: 'testing', order: 20, changeControlled: false, description: 'End-to-end tests across services' },
  { key: 'uat', name: 'User acceptance test', tier: 'testing', order: 30, changeControlled: false, description: 'Business sign-off' },
  { key: 'staging', name: 'Staging', tier: 'staging', order: 40, changeControlled: true, description: 'Production-like rehearsal' },
  { key: 'production', name: 'Production', tier: 'production', order: 50, changeControlled: true, description: 'Live customer traffic' },
] as const;

/** Recurring windows, first occurrences in the past so they apply from today on. */
const WINDOWS: WindowCreate[] = [
  {
    name: 'Weekend deployment freeze', kind: 'freeze', timeZone: 'Europe/Berlin',
    description: 'No deployments to production from Friday evening until Monday morning; a change manager can override it for an urgent fix.',
    start: '2026-01-02T18:00', end: '2026-01-05T06:00', recurrence: { rrule: 'FREQ=WEEKLY;BYDAY=FR' }, scope: { environments: ['production'] },
  },
  {
    name: 'Year-end blackout', kind: 'blackout', timeZone: 'Europe/Berlin',
    description: 'Peak trading and financial year-end close: no changes to tier-1 services.',
    start: '2025-12-20T00:00', end: '2026-01-02T00:00', recurrence: { rrule: 'FREQ=YEARLY' }, scope: { serviceTiers: [1] },
  },
  {
    name: 'Database maintenance window', kind: 'maintenance', timeZone: 'Europe/Berlin',
    description: 'Changes to the main PostgreSQL cluster happen on Sunday nights only.',
    start: '2026-01-04T02:00', end: '2026-01-04T04:00', recurrence: { rrule: 'FREQ=WEEKLY;BYDAY=SU' }, scope: { services: ['postgres-main'] },
  },
];

interface SeedServices extends ReleaseSeedServices, ExampleInstallServices {
  identity: IdentityService;
  teams: TeamsService;
  services: ServicesService;
  environments: EnvironmentsService;
  bookings: BookingsService;
  windows: WindowsService;
  cab: CabService;
}

/**
 * Demo data for a new database: teams, one user per role, services with dependencies, five
 * environments, recurring time windows and a release train. Runs through the services, so the demo's history is in the audit log too.
 * Returns null when the database already has users (not new).
 */
export async function seedDemoData(svc: SeedServices, db: Db, log: Logger, clock: Clock, opts: { releases: boolean }): Promise<DemoLogin[] | null> {
  const anyUser = await db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  const anyService = await db.selectFrom('services').select('id').limit(1).executeTakeFirst();
  if (anyService || (anyUser && !(await isOnlyBootstrapAdmin(db)))) return null;
  const actor = systemActor('demo seed');
  try {
    const teamIds = new Map<string, string>();
    for (const t of TEAMS) teamIds.set(t.key, (await svc.teams.create(actor, t)).id);
    const passwordHash = await hashPassword(DEMO_PASSWORD);
    let manager: Actor | undefined;
    const people = new Map<Role, Actor>();
    for (const u of USERS) {
      const user = await svc.identity.createUser(actor, { email: u.email, name: u.name, roles: [u.role], passwordHash });
      await svc.teams.addMember(actor, u.team, user.id);
      if (u.role === 'release_manager') manager = { kind: 'user', id: user.id, name: u.name, roles: [u.role], teamIds: [teamIds.get(u.team)!], serviceAccount: false, requestId: null };
      people.set(u.role, { kind: 'user', id: user.id, name: u.name, roles: [u.role], teamIds: [teamIds.get(u.team)!], serviceAccount: false, requestId: null });
    }
    for (const s of SERVICES) {
      await svc.services.create(actor, {
        key: s.key, name: s.name, tier: s.tier, description: s.description, ownerTeamId: teamIds.get(s.team)!, governanceProfile: s.profile, dependsOn: s.dependsOn, tags: s.tags,
      });
    }
    for (const e of ENVIRONMENTS) await svc.environments.create(actor, { ...e });
    for (const w of WINDOWS) await svc.windows.create(actor, w);
    // the example governance profiles (regulated, standard, fast-lane) and the CABs they name
    const ids = (roles: Role[]) => roles.map((r) => people.get(r)!.id!);
    await installExampleProfiles(svc, db, actor, { cab: ids(['change_manager', 'approver', 'release_manager']), 'emergency-cab': ids(['change_manager', 'approver']) });
    await svc.cab.create(actor, { key: 'weekly-cab', name: 'Weekly CAB', group: 'cab', timeZone: 'Europe/Berlin', firstMeeting: '2026-01-06T10:00', durationMinutes: 60, rrule: 'FREQ=WEEKLY;BYDAY=TU' });
    if (opts.releases) await seedDemoReleases(svc, manager!, teamIds, clock);
    if (opts.releases) await seedDemoBookings(svc, people, clock);
  } catch (err) {
    // another node seeding the same database at the same moment: its data is as good as ours
    if (err instanceof DomainError && err.status === 409) {
      log.warn('demo data is being seeded by another process');
      return null;
    }
    throw err;
  }
  return USERS.map((u) => ({ email: u.email, role: u.role }));
}

/** UAT booked (and approved) for Payments all of next week; Staging requested by Storefront the week after. */
async function seedDemoBookings(svc: SeedServices, people: Map<Role, Actor>, clock: Clock): Promise<void> {
  const DAY = 86_400_000;
  const today = Math.floor(clock.now().getTime() / DAY) * DAY;
  const monday = today + ((8 - new Date(today).getUTCDay()) % 7 || 7) * DAY; // the next Monday, never today
  const at = (day: number, hour: number) => new Date(monday + day * DAY + hour * 3_600_000).toISOString();
  const uat = await svc.bookings.request(people.get('developer')!, {
    environment: 'uat', team: 'payments', start: at(0, 7), end: at(4, 17), purpose: 'Business sign-off of the payouts rework with the finance team',
  });
  await svc.bookings.approve(people.get('approver')!, uat.id, { comment: 'Agreed in the weekly environment planning' });
  await svc.bookings.request(people.get('release_manager')!, {
    environment: 'staging', team: 'storefront', start: at(7, 6), end: at(8, 18), purpose: 'Load test of the new checkout before the holiday peak',
  });
}

async function isOnlyBootstrapAdmin(db: Db): Promise<boolean> {
  const users = await db.selectFrom('users').select('email').limit(2).execute();
  return users.length === 1 && !USERS.some((u) => u.email === users[0]!.email);
}

/** SHIPGATE_ADMIN_EMAIL / SHIPGATE_ADMIN_PASSWORD: create that admin once if it does not exist. */
export async function ensureBootstrapAdmin(identity: IdentityService, repo: IdentityRepo, db: Db, admin: { email: string; password: string } | null) {
  if (!admin) return;
  if (await repo.userByEmail(db, admin.email)) return;
  try {
    await identity.createUser(systemActor('bootstrap'), { email: admin.email, name: 'Administrator', password: admin.password, roles: ['admin'] });
  } catch (err) {
    if (!(err instanceof DomainError && err.status === 409)) throw err;
  }
}
