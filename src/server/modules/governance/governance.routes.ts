import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth.js';
import { commonErrors } from '../../http/problem.js';
import { BacktestInput, BacktestResult, EvaluateInput, Evaluation, GovernanceProfile, PolicyInput, PolicyValidateInput, PolicyValidation, PolicyVersion, ProfileCreate, ProfileKeyParams, ProfileParams, VersionParams } from './governance.schemas.js';
import type { GovernanceService } from './governance.service.js';

const tags = ['governance'];
const profiles = '/api/v1/governance-profiles';
const policies = '/api/v1/policies';

export function governanceRoutes(app: FastifyInstance, deps: { governance: GovernanceService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { governance: svc } = deps;

  r.get(profiles, {
    config: { permission: 'policy:read' },
    schema: { tags, operationId: 'listGovernanceProfiles', summary: 'List governance profiles', response: { 200: z.object({ items: z.array(GovernanceProfile) }), ...commonErrors } },
  }, async (req) => svc.list(actorOf(req)));

  r.post(profiles, {
    config: { permission: 'policy:write' },
    schema: { tags, operationId: 'createGovernanceProfile', summary: 'Create a governance profile, optionally with its first policy version', body: ProfileCreate, response: { 201: GovernanceProfile, ...commonErrors } },
  }, async (req, reply) => {
    const p = await svc.create(actorOf(req), req.body);
    return reply.status(201).header('location', `${profiles}/${p.key}`).send(p);
  });

  r.get(`${profiles}/:key`, {
    config: { permission: 'policy:read' },
    schema: { tags, operationId: 'getGovernanceProfile', summary: 'Get a governance profile with its active policy', params: ProfileParams, response: { 200: GovernanceProfile, ...commonErrors } },
  }, async (req) => svc.get(actorOf(req), req.params.key));

  r.get(`${profiles}/:key/policies`, {
    config: { permission: 'policy:read' },
    schema: { tags, operationId: 'listPolicyVersions', summary: 'Every policy version of a profile', params: ProfileParams, response: { 200: z.object({ items: z.array(PolicyVersion) }), ...commonErrors } },
  }, async (req) => svc.versions(actorOf(req), req.params.key));

  r.post(`${profiles}/:key/policies`, {
    config: { permission: 'policy:write' },
    schema: {
      tags, operationId: 'createPolicyVersion', summary: 'Save a new policy version (a draft unless activate)',
      description: 'The source is validated against GET /api/v1/policies/schema; errors[].path is the JSON pointer into the document. Approver groups must exist.',
      params: ProfileParams, body: PolicyInput, response: { 201: PolicyVersion, ...commonErrors },
    },
  }, async (req, reply) => reply.status(201).send(await svc.addPolicy(actorOf(req), req.params.key, req.body)));

  r.get(`${policies}/schema`, {
    config: { permission: 'policy:read' },
    schema: { tags, operationId: 'getPolicySchema', summary: 'The JSON Schema of policy documents', response: { 200: z.record(z.string(), z.unknown()), ...commonErrors } },
  }, async () => svc.schema());

  r.post(`${policies}/validate`, {
    config: { permission: 'policy:read' },
    schema: {
      tags, operationId: 'validatePolicy', summary: 'Check a policy source without saving it',
      description: 'Runs the checks of createPolicyVersion (syntax, the schema of GET /api/v1/policies/schema, approver groups exist) and answers 200 either way; errors[].path is the JSON pointer into the document.',
      body: PolicyValidateInput, response: { 200: PolicyValidation, ...commonErrors },
    },
  }, async (req) => svc.validate(actorOf(req), req.body));

  r.post(`${policies}/:profileKey/versions/:n/activate`, {
    config: { permission: 'policy:write' },
    schema: { tags, operationId: 'activatePolicyVersion', summary: 'Make a policy version the active one', params: VersionParams, response: { 200: PolicyVersion, ...commonErrors } },
  }, async (req) => svc.activate(actorOf(req), req.params.profileKey, req.params.n));

  r.post(`${policies}/evaluate`, {
    config: { permission: 'policy:read' },
    schema: { tags, operationId: 'evaluatePolicy', summary: 'Decide a proposed change or deployment, with the explanation', body: EvaluateInput, response: { 200: Evaluation, ...commonErrors } },
  }, async (req) => svc.evaluate(actorOf(req), req.body));

  r.post(`${policies}/:profileKey/backtest`, {
    config: { permission: 'policy:read' },
    schema: {
      tags, operationId: 'backtestPolicy', summary: 'Evaluate a policy version over past changes',
      description: 'Counts what the version would have auto-approved, sent for approval or blocked among the changes created in [from, to) on services with this profile, and the actual failure rate of each group.',
      params: ProfileKeyParams, body: BacktestInput, response: { 200: BacktestResult, ...commonErrors },
    },
  }, async (req) => svc.backtest(actorOf(req), req.params.profileKey, req.body));
}
