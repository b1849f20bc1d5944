import type { Db } from '../../db/tx.js';
import type { InboundEventOutcome } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';
import { DomainError, Invalid, type FieldError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { DeploymentReport, type DeploymentStatus } from '../deployments/deployments.schemas.js';
import type { DeploymentsService } from '../deployments/deployments.service.js';
import { assertCan, type Actor } from '../identity/permissions.js';
import type { CdeventsRepo } from './cdevents.repo.js';
import type { CloudEvent, IngestResult } from './cdevents.schemas.js';
import { cdeventErrors, hasSchema } from './cdevents.validator.js';

/** What every CDEvent has, once it matched its schema. */
interface CdEvent {
  context: { id: string; source: string; type: string; timestamp: string };
  subject: { id: string; content: Record<string, unknown> };
}

/** The service events, once they matched their schema (artifactId is required but on service.removed). */
interface ServiceEvent extends CdEvent {
  subject: { id: string; content: { environment: { id: string }; artifactId: string } };
}

type Action = 'deploy' | 'rollback' | 'remove' | 'store';

/** What Shipgate does with a CDEvent type that has a schema (dev.cdevents.<subject>.<predicate>.<version>). */
export function actionOf(type: string): Action {
  const [, subject, predicate] = type.split('.').slice(1);
  const name = `${subject}.${predicate}`;
  if (name === 'service.deployed' || name === 'service.upgraded') return 'deploy';
  if (name === 'service.rolledback') return 'rollback';
  if (name === 'service.removed') return 'remove';
  return 'store';
}

const splitOnce = (s: string, sep: string): [string, string | undefined] => {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
};

const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** pkg:type/namespace/name@version?qualifiers#subpath: the `tag` qualifier, else the version. */
function purlVersion(purl: string): string | undefined {
  const [path, qualifiers = ''] = splitOnce(splitOnce(purl, '#')[0], '?');
  const tag = qualifiers.split('&').map((q) => splitOnce(q, '=')).find(([key]) => key.toLowerCase() === 'tag')?.[1];
  const at = path.lastIndexOf('@');
  const found = tag || (at < 0 ? '' : path.slice(at + 1));
  return found ? decode(found) : undefined;
}

/** registry/name:tag@digest: the tag (after the last ':' of the last path segment, not a registry port), else the digest. */
function imageVersion(ref: string): string | undefined {
  const [name, digest] = splitOnce(ref, '@');
  const last = name.slice(name.lastIndexOf('/') + 1);
  const colon = last.lastIndexOf(':');
  return (colon < 0 ? '' : last.slice(colon + 1)) || digest || undefined;
}

/**
 * The deployed version an artifact id names. A tag is preferred to a digest because people read the
 * inventory (OCI package URLs carry the digest as version and the tag as a qualifier); the full
 * artifact is kept on the deployment anyway. Without either, the artifact id itself is the version.
 */
export function artifactVersion(artifactId: string): string {
  return (artifactId.startsWith('pkg:') ? purlVersion(artifactId) : imageVersion(artifactId)) ?? artifactId;
}

const describeErrors = (errors: FieldError[]) => errors.map((e) => `${e.path}: ${e.message}`).join('; ');

function assertValid(event: CloudEvent): CdEvent {
  const errors = cdeventErrors(event.type, event.data);
  if (errors.length) throw new Invalid('invalid_cdevent', `The event does not match the CDEvents 0.5.1 schema of ${event.type}: ${describeErrors(errors)}.`, errors, 400);
  return event.data as CdEvent;
}

/** The CloudEvents binding copies id, source, type and subject from the CDEvent: a mismatch is a broken producer. */
function assertMatches(event: CloudEvent, cd: CdEvent) {
  const pairs: [string, string, string | undefined][] = [
    ['/context/id', cd.context.id, event.id], ['/context/source', cd.context.source, event.source], ['/context/type', cd.context.type, event.type],
    ['/subject/id', cd.subject.id, event.subject],
  ];
  const errors = pairs.filter(([, own, attr]) => attr !== undefined && own !== attr).map(([path, , attr]) => ({ path, message: `must equal the CloudEvents attribute (${attr})` }));
  if (errors.length) throw new Invalid('cloudevent_mismatch', `The CDEvent does not match its CloudEvents attributes: ${describeErrors(errors)}.`, errors, 400);
}

/** A deployment report for a service event, checked like one sent to the deployments API. */
function reportOf(storedId: string, ev: ServiceEvent, status: DeploymentStatus): DeploymentReport {
  const parsed = DeploymentReport.safeParse({
    service: ev.subject.id,
    environment: ev.subject.content.environment.id,
    version: artifactVersion(ev.subject.content.artifactId),
    artifact: ev.subject.content.artifactId,
    status,
    finishedAt: ev.context.timestamp,
    source: 'cdevents',
    // the stored event's id: CDEvent ids are only unique per source, and deployments keep one externalId per source kind
    externalId: storedId,
  });
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  throw new Invalid('not_reportable', `The event cannot be reported as a deployment: ${describeErrors(errors)}.`, errors);
}

export interface CdeventsDeps {
  db: Db;
  repo: CdeventsRepo;
  deployments: DeploymentsService;
  clock: Clock;
}

export function createCdeventsService(deps: CdeventsDeps) {
  const { db, repo, deployments, clock } = deps;

  /** Stores the event with its outcome, or answers duplicate for a (source, id) already received. */
  async function store(event: CloudEvent, subject: string | null, outcome: InboundEventOutcome, detail: string): Promise<IngestResult> {
    const id = newId();
    const row = { id, source: event.source, event_id: event.id, type: event.type, subject, payload: event.data, outcome, detail, received_at: clock.now() };
    if (await repo.insertIfAbsent(db, row)) return { status: outcome, id, type: event.type, detail };
    const original = (await repo.findBySourceId(db, event.source, event.id))!;
    return { status: 'duplicate', id: original.id, type: original.type, detail: `Already received (source ${event.source}, id ${event.id}): not processed again.` };
  }

  async function deploy(actor: Actor, storedId: string, ev: ServiceEvent): Promise<string> {
    const { created, deployment: d } = await deployments.report(actor, reportOf(storedId, ev, 'succeeded'));
    const unmatched = d.matched ? '' : ' (unmatched: the service or environment is not in the catalog yet)';
    return `Deployment ${d.id} ${created ? 'recorded' : 'updated'}: ${d.serviceRef} ${d.deployedVersion} on ${d.environmentRef}${unmatched}.`;
  }

  async function rollback(actor: Actor, storedId: string, ev: ServiceEvent): Promise<string> {
    const target = { service: ev.subject.id, environment: ev.subject.content.environment.id };
    const [latest] = (await deployments.list(actor, { ...target, status: 'succeeded', limit: 1 })).items;
    if (latest) {
      await deployments.update(actor, latest.id, { status: 'rolled_back' });
      return `Deployment ${latest.id} (${latest.deployedVersion}) of ${target.service} on ${target.environment} marked rolled back.`;
    }
    const { deployment: d } = await deployments.report(actor, reportOf(storedId, ev, 'rolled_back'));
    return `No succeeded deployment of ${target.service} on ${target.environment} to roll back: recorded the rollback as deployment ${d.id}.`;
  }

  /**
   * The deployments service runs its own transactions, so the event is committed first and its
   * outcome recorded after: a failure midway leaves it stored, with the reason in its detail.
   */
  async function apply(actor: Actor, stored: IngestResult, ev: ServiceEvent, action: 'deploy' | 'rollback'): Promise<IngestResult> {
    try {
      const detail = action === 'deploy' ? await deploy(actor, stored.id, ev) : await rollback(actor, stored.id, ev);
      await repo.setOutcome(db, stored.id, 'applied', detail);
      return { ...stored, status: 'applied', detail };
    } catch (err) {
      const detail = `Stored but not applied: ${(err as Error).message}`;
      await repo.setOutcome(db, stored.id, 'stored', detail);
      if (!(err instanceof DomainError)) throw err;
      return { ...stored, detail };
    }
  }

  return {
    /** Validates, stores and acts on one CloudEvent carrying a CDEvent. */
    async ingest(actor: Actor, event: CloudEvent): Promise<IngestResult> {
      assertCan(actor, 'deployment:report');
      if (!hasSchema(event.type)) {
        const why = event.type.startsWith('dev.cdevents.') ? `CDEvents 0.5.1 has no schema for ${event.type}` : `${event.type} is not a CDEvents type`;
        return store(event, event.subject ?? null, 'ignored', `Ignored: ${why}.`);
      }
      const cd = assertValid(event);
      assertMatches(event, cd);
      const action = actionOf(event.type);
      if (action === 'store') return store(event, cd.subject.id, 'stored', 'Acknowledged and kept: Shipgate does not act on this event type yet.');
      if (action === 'remove') {
        return store(event, cd.subject.id, 'stored', 'Acknowledged and kept: removing a service from the inventory is not supported (the inventory follows deployments).');
      }
      const stored = await store(event, cd.subject.id, 'stored', 'Received: being applied.');
      return stored.status === 'duplicate' ? stored : apply(actor, stored, cd as ServiceEvent, action);
    },
  };
}

export type CdeventsService = ReturnType<typeof createCdeventsService>;
