import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { FieldError } from '../../lib/errors.js';
// The CDEvents 0.5.1 JSON Schemas (Apache-2.0, see schemas/LICENSE), imported so the bundle inlines them.
import artifactdeleted from './schemas/artifactdeleted.json' with { type: 'json' };
import artifactdownloaded from './schemas/artifactdownloaded.json' with { type: 'json' };
import artifactpackaged from './schemas/artifactpackaged.json' with { type: 'json' };
import artifactpublished from './schemas/artifactpublished.json' with { type: 'json' };
import artifactsigned from './schemas/artifactsigned.json' with { type: 'json' };
import branchcreated from './schemas/branchcreated.json' with { type: 'json' };
import branchdeleted from './schemas/branchdeleted.json' with { type: 'json' };
import buildfinished from './schemas/buildfinished.json' with { type: 'json' };
import buildqueued from './schemas/buildqueued.json' with { type: 'json' };
import buildstarted from './schemas/buildstarted.json' with { type: 'json' };
import changeabandoned from './schemas/changeabandoned.json' with { type: 'json' };
import changecreated from './schemas/changecreated.json' with { type: 'json' };
import changemerged from './schemas/changemerged.json' with { type: 'json' };
import changereviewed from './schemas/changereviewed.json' with { type: 'json' };
import changeupdated from './schemas/changeupdated.json' with { type: 'json' };
import environmentcreated from './schemas/environmentcreated.json' with { type: 'json' };
import environmentdeleted from './schemas/environmentdeleted.json' with { type: 'json' };
import environmentmodified from './schemas/environmentmodified.json' with { type: 'json' };
import incidentdetected from './schemas/incidentdetected.json' with { type: 'json' };
import incidentreported from './schemas/incidentreported.json' with { type: 'json' };
import incidentresolved from './schemas/incidentresolved.json' with { type: 'json' };
import pipelinerunfinished from './schemas/pipelinerunfinished.json' with { type: 'json' };
import pipelinerunqueued from './schemas/pipelinerunqueued.json' with { type: 'json' };
import pipelinerunstarted from './schemas/pipelinerunstarted.json' with { type: 'json' };
import repositorycreated from './schemas/repositorycreated.json' with { type: 'json' };
import repositorydeleted from './schemas/repositorydeleted.json' with { type: 'json' };
import repositorymodified from './schemas/repositorymodified.json' with { type: 'json' };
import servicedeployed from './schemas/servicedeployed.json' with { type: 'json' };
import servicepublished from './schemas/servicepublished.json' with { type: 'json' };
import serviceremoved from './schemas/serviceremoved.json' with { type: 'json' };
import servicerolledback from './schemas/servicerolledback.json' with { type: 'json' };
import serviceupgraded from './schemas/serviceupgraded.json' with { type: 'json' };
import taskrunfinished from './schemas/taskrunfinished.json' with { type: 'json' };
import taskrunstarted from './schemas/taskrunstarted.json' with { type: 'json' };
import testcaserunfinished from './schemas/testcaserunfinished.json' with { type: 'json' };
import testcaserunqueued from './schemas/testcaserunqueued.json' with { type: 'json' };
import testcaserunskipped from './schemas/testcaserunskipped.json' with { type: 'json' };
import testcaserunstarted from './schemas/testcaserunstarted.json' with { type: 'json' };
import testoutputpublished from './schemas/testoutputpublished.json' with { type: 'json' };
import testsuiterunfinished from './schemas/testsuiterunfinished.json' with { type: 'json' };
import testsuiterunqueued from './schemas/testsuiterunqueued.json' with { type: 'json' };
import testsuiterunstarted from './schemas/testsuiterunstarted.json' with { type: 'json' };
import ticketclosed from './schemas/ticketclosed.json' with { type: 'json' };
import ticketcreated from './schemas/ticketcreated.json' with { type: 'json' };
import ticketupdated from './schemas/ticketupdated.json' with { type: 'json' };
import embeddedlinkend from './schemas/links/embeddedlinkend.json' with { type: 'json' };
import embeddedlinkpath from './schemas/links/embeddedlinkpath.json' with { type: 'json' };
import embeddedlinkrelation from './schemas/links/embeddedlinkrelation.json' with { type: 'json' };
import embeddedlinksarray from './schemas/links/embeddedlinksarray.json' with { type: 'json' };
import linkend from './schemas/links/linkend.json' with { type: 'json' };
import linkpath from './schemas/links/linkpath.json' with { type: 'json' };
import linkrelation from './schemas/links/linkrelation.json' with { type: 'json' };
import linkstart from './schemas/links/linkstart.json' with { type: 'json' };

const EVENT_SCHEMAS = [
  artifactdeleted, artifactdownloaded, artifactpackaged, artifactpublished, artifactsigned, branchcreated, branchdeleted, buildfinished, buildqueued, buildstarted,
  changeabandoned, changecreated, changemerged, changereviewed, changeupdated, environmentcreated, environmentdeleted, environmentmodified, incidentdetected,
  incidentreported, incidentresolved, pipelinerunfinished, pipelinerunqueued, pipelinerunstarted, repositorycreated, repositorydeleted, repositorymodified,
  servicedeployed, servicepublished, serviceremoved, servicerolledback, serviceupgraded, taskrunfinished, taskrunstarted, testcaserunfinished, testcaserunqueued,
  testcaserunskipped, testcaserunstarted, testoutputpublished, testsuiterunfinished, testsuiterunqueued, testsuiterunstarted, ticketclosed, ticketcreated, ticketupdated,
];
const LINK_SCHEMAS = [embeddedlinkend, embeddedlinkpath, embeddedlinkrelation, embeddedlinksarray, linkend, linkpath, linkrelation, linkstart];

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

const ajv = new Ajv2020({ allErrors: true, strict: false });
// ajv-formats is not a dependency: the three formats the schemas use, checked as strictly as their RFCs need here
ajv.addFormat('date-time', (s: string) => RFC3339.test(s) && !Number.isNaN(Date.parse(s)));
ajv.addFormat('uri', /^[a-z][a-z0-9+.-]*:[^\s]*$/i);
ajv.addFormat('uri-reference', /^[^\s]*$/);
for (const schema of [...LINK_SCHEMAS, ...EVENT_SCHEMAS]) ajv.addSchema(schema);

/** Event type (e.g. dev.cdevents.service.deployed.0.3.0) → the $id of its schema. */
const SCHEMA_OF_TYPE = new Map<string, string>(EVENT_SCHEMAS.map((s) => [s.properties.context.properties.type.enum[0]!, s.$id]));

export const hasSchema = (type: string): boolean => SCHEMA_OF_TYPE.has(type);

const pointerPart = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** JSON Pointer paths naming the offending property, one error per path and message. */
function fieldErrors(errors: ErrorObject[]): FieldError[] {
  const out = new Map<string, FieldError>();
  for (const e of errors) {
    let path = e.instancePath;
    if (e.keyword === 'required') path += `/${pointerPart(String(e.params.missingProperty))}`;
    if (e.keyword === 'additionalProperties') path += `/${pointerPart(String(e.params.additionalProperty))}`;
    const message = e.keyword === 'required' ? 'is required' : e.keyword === 'additionalProperties' ? 'is not allowed here' : (e.message ?? 'is not valid');
    out.set(`${path}|${message}`, { path: path || '/', message });
  }
  return [...out.values()];
}

/** Schema errors of a CDEvent of a type that has a schema (compiled on first use, then cached by Ajv). */
export function cdeventErrors(type: string, event: unknown): FieldError[] {
  const validate = ajv.getSchema(SCHEMA_OF_TYPE.get(type)!) as ValidateFunction;
  return validate(event) ? [] : fieldErrors(validate.errors ?? []);
}
