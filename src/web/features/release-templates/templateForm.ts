import { ApiError, type ProblemFieldError } from '../../api/client';
import type {
  CriterionKind,
  ReleaseTemplate,
  ReleaseTemplateCreate,
  ReleaseTemplatePatch,
  TemplateDefinition,
} from '../../api/types';

export const CRITERION_KINDS: CriterionKind[] = [
  'all_scope_done',
  'no_open_blockers',
  'change_approved',
  'deployment_succeeded',
  'manual_signoff',
  'custom_check',
];

export const CRITERION_LABELS: Record<CriterionKind, string> = {
  all_scope_done: 'All scope done',
  no_open_blockers: 'No open blockers',
  change_approved: 'Change approved',
  deployment_succeeded: 'Deployment succeeded',
  manual_signoff: 'Manual sign-off',
  custom_check: 'Custom check',
};

let uidCounter = 0;
/** Stable React key / reference for a row (phase keys can be edited, so gates refer to phases by uid). */
export const newUid = () => `row-${++uidCounter}`;

export interface PhaseValues {
  uid: string;
  key: string;
  name: string;
  environments: string[];
  defaultDurationDays: number | string;
}

export interface GateValues {
  uid: string;
  key: string;
  name: string;
  /** uid of the phase the gate closes; '' = before the first phase */
  afterPhase: string;
  criteria: string[];
  /** `min` of a custom_check criterion ('' = none) */
  customMin: number | string;
  /** Config of criteria loaded from the server, kept as-is (except `min`) when saving. */
  criteriaConfig: Record<string, Record<string, unknown>>;
  approverTeam: string;
  quorum: number | string;
}

export interface RunbookValues {
  uid: string;
  title: string;
  owner: string;
}

export interface TemplateFormValues {
  key: string;
  name: string;
  description: string;
  phases: PhaseValues[];
  gates: GateValues[];
  runbook: RunbookValues[];
}

export const emptyPhase = (): PhaseValues => ({ uid: newUid(), key: '', name: '', environments: [], defaultDurationDays: 7 });
export const emptyGate = (): GateValues => ({
  uid: newUid(),
  key: '',
  name: '',
  afterPhase: '',
  criteria: [],
  customMin: '',
  criteriaConfig: {},
  approverTeam: '',
  quorum: 1,
});
export const emptyRunbookItem = (): RunbookValues => ({ uid: newUid(), title: '', owner: '' });

export function toValues(template: ReleaseTemplate | null): TemplateFormValues {
  if (!template) {
    return { key: '', name: '', description: '', phases: [emptyPhase()], gates: [], runbook: [] };
  }
  const def = template.definition;
  const phases = def.phases.map((p) => ({
    uid: newUid(),
    key: p.key,
    name: p.name,
    environments: p.environments ?? [],
    defaultDurationDays: p.defaultDurationDays,
  }));
  const uidOfPhase = (key: string | null | undefined) => (key ? (phases.find((p) => p.key === key)?.uid ?? '') : '');
  return {
    key: template.key,
    name: template.name,
    description: template.description ?? '',
    phases,
    gates: (def.gates ?? []).map((g) => {
      const criteriaConfig: Record<string, Record<string, unknown>> = {};
      for (const c of g.criteria ?? []) criteriaConfig[c.kind] = c.config ?? {};
      const min = criteriaConfig.custom_check?.min;
      return {
        uid: newUid(),
        key: g.key,
        name: g.name,
        afterPhase: uidOfPhase(g.afterPhase),
        criteria: (g.criteria ?? []).map((c) => c.kind),
        customMin: typeof min === 'number' ? min : '',
        criteriaConfig,
        approverTeam: g.approverTeam ?? '',
        quorum: g.quorum ?? 1,
      };
    }),
    runbook: (def.runbook ?? []).map((r) => ({ uid: newUid(), title: r.title, owner: r.owner ?? '' })),
  };
}

export function toDefinition(values: TemplateFormValues): TemplateDefinition {
  const phaseKey = (uid: string) => values.phases.find((p) => p.uid === uid)?.key.trim() ?? null;
  const definition: TemplateDefinition = {
    phases: values.phases.map((p) => {
      const phase: TemplateDefinition['phases'][number] = {
        key: p.key.trim(),
        name: p.name.trim(),
        defaultDurationDays: Number(p.defaultDurationDays),
      };
      if (p.environments.length) phase.environments = p.environments;
      return phase;
    }),
  };
  if (values.gates.length) {
    definition.gates = values.gates.map((g) => {
      const gate: NonNullable<TemplateDefinition['gates']>[number] = {
        key: g.key.trim(),
        name: g.name.trim(),
        afterPhase: g.afterPhase ? phaseKey(g.afterPhase) : null,
      };
      if (g.criteria.length) {
        gate.criteria = g.criteria.map((kind) => {
          const config: Record<string, unknown> = { ...(g.criteriaConfig[kind] ?? {}) };
          if (kind === 'custom_check') {
            if (g.customMin === '' || g.customMin === null) delete config.min;
            else config.min = Number(g.customMin);
          }
          return Object.keys(config).length ? { kind: kind as CriterionKind, config } : { kind: kind as CriterionKind };
        });
      }
      if (g.approverTeam) {
        gate.approverTeam = g.approverTeam;
        gate.quorum = Number(g.quorum) || 1;
      }
      return gate;
    });
  }
  if (values.runbook.length) {
    definition.runbook = values.runbook.map((r) =>
      r.owner.trim() ? { title: r.title.trim(), owner: r.owner.trim() } : { title: r.title.trim() },
    );
  }
  return definition;
}

export function toCreate(values: TemplateFormValues): ReleaseTemplateCreate {
  const body: ReleaseTemplateCreate = { key: values.key.trim(), name: values.name.trim(), definition: toDefinition(values) };
  if (values.description.trim()) body.description = values.description.trim();
  return body;
}

/** Only what changed; a changed definition becomes a new template version on the server. */
export function toPatch(initial: TemplateFormValues, values: TemplateFormValues): ReleaseTemplatePatch {
  const patch: ReleaseTemplatePatch = {};
  if (values.name.trim() !== initial.name) patch.name = values.name.trim();
  if (values.description.trim() !== initial.description) patch.description = values.description.trim() || null;
  const after = toDefinition(values);
  if (JSON.stringify(after) !== JSON.stringify(toDefinition(initial))) patch.definition = after;
  return patch;
}

const ROW_FIELDS: Record<string, string[]> = {
  phases: ['key', 'name', 'environments', 'defaultDurationDays'],
  gates: ['key', 'name', 'afterPhase', 'criteria', 'approverTeam', 'quorum'],
  runbook: ['title', 'owner'],
};

/**
 * Place a problem's field errors on the form: `definition.phases.1.key` → `phases.1.key`,
 * `definition.gates.0.criteria.2.config.min` → `gates.0.customMin` / `gates.0.criteria`, `name` → `name`.
 * Paths that name no field of the form (or a row that no longer exists) are returned as `unplaced`.
 */
export function mapTemplateErrors(
  error: unknown,
  values: TemplateFormValues,
): { fieldErrors: Record<string, string>; unplaced: ProblemFieldError[] } {
  const fieldErrors: Record<string, string> = {};
  const unplaced: ProblemFieldError[] = [];
  if (!(error instanceof ApiError)) return { fieldErrors, unplaced };
  const add = (field: string, message: string) => {
    fieldErrors[field] = fieldErrors[field] ? `${fieldErrors[field]}; ${message}` : message;
  };
  for (const item of error.fieldErrors) {
    const seg = String(item.path ?? '')
      .replace(/^#?\/?/, '')
      .split(/[./[\]]+/)
      .filter(Boolean);
    if (seg[0] === 'body') seg.shift();
    if (seg.length === 1 && ['key', 'name', 'description'].includes(seg[0]!)) {
      add(seg[0]!, item.message);
      continue;
    }
    if (seg[0] === 'definition') seg.shift();
    const [section, index, field, ...rest] = seg;
    const rows = section ? (values as unknown as Record<string, unknown[]>)[section] : undefined;
    const i = Number(index);
    if (section && rows && ROW_FIELDS[section] && Number.isInteger(i) && i >= 0 && i < rows.length && field && ROW_FIELDS[section]!.includes(field)) {
      if (section === 'gates' && field === 'criteria' && rest.includes('min')) add(`gates.${i}.customMin`, item.message);
      else add(`${section}.${i}.${field}`, item.message);
      continue;
    }
    unplaced.push(item);
  }
  return { fieldErrors, unplaced };
}
