import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import type { Config, Role } from './config.js';
import { connectDatabase, type Database } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { createHttpApp } from './http/app.js';
import { installAuth } from './http/auth.js';
import { installIdempotency } from './http/idempotency.js';
import { HOUSEKEEPING_QUEUE, housekeeping } from './jobs/housekeeping.js';
import { DOMAIN_EVENTS_QUEUE, type DomainEvent } from './jobs/outbox.js';
import { createJobQueue, type JobQueue } from './jobs/queue.js';
import { systemClock, type Clock } from './lib/clock.js';
import { createAuditRepo } from './modules/audit/audit.repo.js';
import { auditRoutes } from './modules/audit/audit.routes.js';
import { startAuditSealer } from './modules/audit/audit.sealer.js';
import { createAuditService } from './modules/audit/audit.service.js';
import { createBookingsRepo } from './modules/bookings/bookings.repo.js';
import { bookingsRoutes } from './modules/bookings/bookings.routes.js';
import { createBookingsService } from './modules/bookings/bookings.service.js';
import { createCdeventsRepo } from './modules/cdevents/cdevents.repo.js';
import { cdeventsRoutes } from './modules/cdevents/cdevents.routes.js';
import { createCdeventsService } from './modules/cdevents/cdevents.service.js';
import { createDeploymentsRepo } from './modules/deployments/deployments.repo.js';
import { deploymentsRoutes } from './modules/deployments/deployments.routes.js';
import { createDeploymentsService } from './modules/deployments/deployments.service.js';
import { createEnvironmentsRepo } from './modules/environments/environments.repo.js';
import { environmentsRoutes } from './modules/environments/environments.routes.js';
import { createEnvironmentsService } from './modules/environments/environments.service.js';
import { createIdentityRepo } from './modules/identity/identity.repo.js';
import { identityRoutes } from './modules/identity/identity.routes.js';
import { createIdentityService } from './modules/identity/identity.service.js';
import { createLoginThrottle } from './modules/identity/login-throttle.js';
import { createReleaseTemplatesRepo } from './modules/release-templates/release-templates.repo.js';
import { releaseTemplatesRoutes } from './modules/release-templates/release-templates.routes.js';
import { createReleaseTemplatesService } from './modules/release-templates/release-templates.service.js';
import { createReleasesRepo } from './modules/releases/releases.repo.js';
import { releasesRoutes } from './modules/releases/releases.routes.js';
import { createReleasesService } from './modules/releases/releases.service.js';
import { createGatesRepo } from './modules/gates/gates.repo.js';
import { gatesRoutes } from './modules/gates/gates.routes.js';
import { createGatesService } from './modules/gates/gates.service.js';
import { createServicesRepo } from './modules/services/services.repo.js';
import { servicesRoutes } from './modules/services/services.routes.js';
import { createServicesService } from './modules/services/services.service.js';
import { systemRoutes } from './modules/system/system.routes.js';
import { createChangeAssessor } from './modules/change-risk/change-risk.service.js';
import { createApprovalsRepo } from './modules/approvals/approvals.repo.js';
import { approvalsRoutes } from './modules/approvals/approvals.routes.js';
import { createApprovalsService } from './modules/approvals/approvals.service.js';
import { createCabService } from './modules/approvals/cab.service.js';
import { governanceRoutes } from './modules/governance/governance.routes.js';
import { createGovernanceService } from './modules/governance/governance.service.js';
import { createChangeGovernor } from './modules/governance/change-governor.js';
import { createChangeTemplatesService } from './modules/changes/change-templates.service.js';
import { createChangesRepo } from './modules/changes/changes.repo.js';
import { changesRoutes } from './modules/changes/changes.routes.js';
import { createChangesService } from './modules/changes/changes.service.js';
import { createCalendarRepo } from './modules/calendar/calendar.repo.js';
import { calendarRoutes } from './modules/calendar/calendar.routes.js';
import { createCalendarService } from './modules/calendar/calendar.service.js';
import { createTeamsRepo } from './modules/teams/teams.repo.js';
import { teamsRoutes } from './modules/teams/teams.routes.js';
import { createTeamsService } from './modules/teams/teams.service.js';
import { createWindowIndexCache } from './modules/windows/windows.index-cache.js';
import { createWindowsRepo } from './modules/windows/windows.repo.js';
import { windowsRoutes } from './modules/windows/windows.routes.js';
import { createWindowsService } from './modules/windows/windows.service.js';
import { createWorkItemsRepo } from './modules/work-items/work-items.repo.js';
import { workItemsRoutes } from './modules/work-items/work-items.routes.js';
import { createWorkItemsService } from './modules/work-items/work-items.service.js';
import { ensureBootstrapAdmin, seedDemoData, type DemoLogin } from './seed/demo.js';

export const VERSION = '0.1.0';

export interface ShipgateOptions {
  config: Config;
  role?: Role;
  database?: Database;
  logger?: Logger;
  clock?: Clock;
}

export interface Shipgate {
  app: FastifyInstance;
  database: Database;
  queue: JobQueue;
  services: ReturnType<typeof buildServices>;
  demoLogins: DemoLogin[] | null;
  close(): Promise<void>;
}

function buildServices(database: Database, queue: JobQueue, clock: Clock, config: Config) {
  const db = database.db;
  const auditRepo = createAuditRepo();
  const audit = createAuditService({ repo: auditRepo, clock, db });
  const identityRepo = createIdentityRepo();
  const throttle = createLoginThrottle(db, clock, config.login);
  const identity = createIdentityService({ db, repo: identityRepo, audit, throttle, clock });
  const teamsRepo = createTeamsRepo();
  const userExists = async (id: string) => (await identityRepo.principalById(db, id)) !== undefined;
  const teams = createTeamsService({ db, repo: teamsRepo, audit, clock, userExists });
  const servicesRepo = createServicesRepo();
  const environmentsRepo = createEnvironmentsRepo();
  const bookingsRepo = createBookingsRepo();
  const deploymentsRepo = createDeploymentsRepo();
  const deployed = (n: number) => (n ? `${n} deployment(s)` : null);
  const releasesRepo = createReleasesRepo();
  const inReleases = (keys: string[]) => (keys.length ? `releases: ${keys.join(', ')}` : null);
  const windowsRepo = createWindowsRepo();
  const inWindows = (names: string[]) => (names.length ? `time windows: ${names.join(', ')}` : null);
  const changesRepo = createChangesRepo();
  const inChanges = (numbers: string[]) => (numbers.length ? `changes: ${numbers.join(', ')}` : null);
  const services = createServicesService({
    db, repo: servicesRepo, teams: teamsRepo, audit, outbox: queue, clock,
    referenceChecks: [
      async (tx, id) => inReleases(await releasesRepo.keysWithService(tx, id)),
      async (tx, id) => inWindows(await windowsRepo.namesScopingService(tx, id)),
      async (tx, id) => inChanges(await changesRepo.numbersWithService(tx, id)),
      async (tx, id) => deployed(await deploymentsRepo.countFor(tx, { serviceId: id })),
    ],
  });
  const environments = createEnvironmentsService({
    db, repo: environmentsRepo, audit, outbox: queue, clock,
    referenceChecks: [
      async (tx, id) => inReleases(await releasesRepo.keysWithEnvironment(tx, id)),
      async (tx, id) => inWindows(await windowsRepo.namesScopingEnvironment(tx, id)),
      async (tx, id) => inChanges(await changesRepo.numbersWithEnvironment(tx, id)),
      async (tx, id) => ((n) => (n ? `${n} booking(s)` : null))(await bookingsRepo.countOnEnvironment(tx, id)),
      async (tx, id) => deployed(await deploymentsRepo.countFor(tx, { environmentId: id })),
    ],
  });
  const releaseTemplatesRepo = createReleaseTemplatesRepo();
  const releaseTemplates = createReleaseTemplatesService({ db, repo: releaseTemplatesRepo, audit, outbox: queue, clock });
  const workItemsRepo = createWorkItemsRepo();
  const gates = createGatesService({ db, repo: createGatesRepo(), scope: workItemsRepo, audit, outbox: queue, clock });
  const releases = createReleasesService({ db, repo: releasesRepo, services: servicesRepo, templates: releaseTemplatesRepo, teams: teamsRepo, audit, outbox: queue, clock, gates });
  const windows = createWindowsService({ db, repo: windowsRepo, index: createWindowIndexCache({ db, repo: windowsRepo }), audit, outbox: queue, clock });
  const calendar = createCalendarService({
    db, repo: createCalendarRepo(), audit, clock, windows,
    lookup: { team: (ref) => teamsRepo.find(db, ref), service: (ref) => servicesRepo.find(db, ref), environment: (ref) => environmentsRepo.find(db, ref) },
  });
  const workItems = createWorkItemsService({ db, repo: workItemsRepo, gates, audit, outbox: queue, clock });
  const bookings = createBookingsService({ db, repo: bookingsRepo, audit, outbox: queue, clock });
  const changeAssessor = createChangeAssessor({ windowsRepo, clock });
  const changeGovernor = createChangeGovernor({ clock });
  const approvalsRepo = createApprovalsRepo();
  // the changes service is composed next and needs the gate: the approvals service looks it up when called
  const approvals = createApprovalsService({ db, repo: approvalsRepo, audit, outbox: queue, clock, workflow: () => changes.workflow });
  const cab = createCabService({ db, repo: approvalsRepo, approvals, audit, outbox: queue, clock });
  const changes = createChangesService({ db, repo: changesRepo, approvals: approvals.gate, assessor: changeAssessor, governor: changeGovernor, audit, outbox: queue, clock });
  const changeTemplates = createChangeTemplatesService({ db, repo: changesRepo, audit, outbox: queue, clock });
  const governance = createGovernanceService({ db, audit, outbox: queue, clock });
  const deployments = createDeploymentsService({ db, repo: deploymentsRepo, audit, outbox: queue, clock });
  const cdevents = createCdeventsService({ db, repo: createCdeventsRepo(), deployments, clock });
  return { governance, audit, identity, identityRepo, teams, teamsRepo, services, environments, releaseTemplates, releases, calendar, gates, workItems, bookings, windows, changeAssessor, changeGovernor, changes, changeTemplates, approvals, cab, deployments, cdevents };
}

/** The composition root: config → database → repositories → services → HTTP and workers. */
export async function createShipgate(opts: ShipgateOptions): Promise<Shipgate> {
  const { config } = opts;
  const role = opts.role ?? 'all';
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? pino({ level: config.logLevel });
  const ownsDatabase = !opts.database;
  const database =
    opts.database ??
    (await connectDatabase(config.databaseUrl ? { kind: 'pg', url: config.databaseUrl, poolSize: config.poolSize } : { kind: 'pglite', dataDir: config.dataDir }));
  let queue: JobQueue | null = null;
  try {
    await migrateToLatest(database);
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });
    queue = createJobQueue(database, logger, [DOMAIN_EVENTS_QUEUE, HOUSEKEEPING_QUEUE]);
    const svc = buildServices(database, queue, clock, config);

    const eventsCounter = new Counter({ name: 'shipgate_domain_events_total', help: 'Domain events dispatched after commit', labelNames: ['type'], registers: [metrics] });
    queue.work<DomainEvent>(DOMAIN_EVENTS_QUEUE, async (event) => {
      // subscribers (webhooks, live updates, connectors) attach here as they are built
      eventsCounter.inc({ type: event.type });
    });
    queue.work(HOUSEKEEPING_QUEUE, async () => {
      logger.debug(await housekeeping(database.db, clock, config.login.windowSeconds), 'housekeeping');
      logger.debug({ escalated: await svc.approvals.escalateOverdue() }, 'approval escalation');
    });
    queue.schedule(HOUSEKEEPING_QUEUE, '*/15 * * * *');

    let ready = false;
    const app = await createHttpApp({ logger, bodyLimit: config.bodyLimit, metrics, webDir: role === 'worker' ? null : config.webDir, version: VERSION, tls: config.secureCookies });
    systemRoutes(app, { db: database.db, metrics, isReady: () => ready });
    if (role !== 'worker') {
      installAuth(app, svc.identity);
      installIdempotency(app, database.db, clock);
      identityRoutes(app, { identity: svc.identity, teams: svc.teamsRepo, db: database.db, secureCookies: config.secureCookies });
      teamsRoutes(app, { teams: svc.teams });
      servicesRoutes(app, { services: svc.services });
      environmentsRoutes(app, { environments: svc.environments });
      auditRoutes(app, { audit: svc.audit });
      releaseTemplatesRoutes(app, { releaseTemplates: svc.releaseTemplates });
      releasesRoutes(app, { releases: svc.releases });
      workItemsRoutes(app, { workItems: svc.workItems });
      gatesRoutes(app, { gates: svc.gates });
      calendarRoutes(app, { calendar: svc.calendar });
      bookingsRoutes(app, { bookings: svc.bookings });
      windowsRoutes(app, { windows: svc.windows });
      changesRoutes(app, { changes: svc.changes, changeTemplates: svc.changeTemplates });
      approvalsRoutes(app, { approvals: svc.approvals, cab: svc.cab });
      governanceRoutes(app, { governance: svc.governance });
      deploymentsRoutes(app, { deployments: svc.deployments });
      cdeventsRoutes(app, { cdevents: svc.cdevents });
    }
    await app.ready();
    await queue.start({ worker: role !== 'api' });
    const sealer = startAuditSealer(svc.audit, logger);

    await ensureBootstrapAdmin(svc.identity, svc.identityRepo, database.db, config.admin);
    const shouldSeed = config.seedDemo ?? database.kind === 'pglite';
    const demoLogins = shouldSeed ? await seedDemoData(svc, database.db, logger, clock, { releases: shouldSeed !== 'catalog' }) : null;
    ready = true;

    const q = queue;
    return {
      app, database, queue: q, services: svc, demoLogins,
      async close() {
        ready = false;
        await app.close();
        await sealer.stop();
        await q.stop();
        if (ownsDatabase) await database.close();
      },
    };
  } catch (err) {
    await queue?.stop().catch(() => undefined);
    if (ownsDatabase) await database.close().catch(() => undefined);
    throw err;
  }
}
