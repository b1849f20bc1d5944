/**
 * Pure evaluation of gate criteria: no database, no clock. The gates service gathers the inputs in
 * the transaction of the change that may alter them and stores the results, so reads never evaluate.
 */

export type CriterionKind = 'all_scope_done' | 'no_open_blockers' | 'change_approved' | 'deployment_succeeded' | 'manual_signoff' | 'custom_check';
export type CriterionStatus = 'pending' | 'passed' | 'failed';
export type GateStatus = CriterionStatus | 'waived';

export interface CriterionResult {
  status: CriterionStatus;
  detail: string;
}

export interface ScopeInputs {
  total: number;
  done: number;
  /** blocking items that are not done */
  openBlockers: number;
}

export interface SignoffInputs {
  quorum: number;
  approvals: number;
  rejections: number;
}

export interface CheckReport {
  passed: boolean;
  value: number | null;
  detail: string;
}

export interface CriterionInputs {
  scope: ScopeInputs;
  signoffs: SignoffInputs;
  /** the latest report of this criterion (custom_check only) */
  latestReport: CheckReport | null;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function evaluateAllScopeDone(scope: ScopeInputs): CriterionResult {
  if (scope.total === 0) return { status: 'pending', detail: 'no scope yet' };
  if (scope.done === scope.total) return { status: 'passed', detail: `all ${plural(scope.total, 'work item')} done` };
  return { status: 'pending', detail: `${scope.done} of ${plural(scope.total, 'work item')} done` };
}

export function evaluateNoOpenBlockers(scope: ScopeInputs): CriterionResult {
  if (scope.openBlockers === 0) return { status: 'passed', detail: 'no open blocking work items' };
  return { status: 'pending', detail: `${plural(scope.openBlockers, 'open blocking work item')}` };
}

export function evaluateManualSignoff(s: SignoffInputs): CriterionResult {
  if (s.rejections > 0) return { status: 'failed', detail: `rejected by ${plural(s.rejections, 'approver')}` };
  if (s.approvals >= s.quorum) return { status: 'passed', detail: `${s.approvals} of ${s.quorum} required approvals` };
  return { status: 'pending', detail: `${s.approvals} of ${s.quorum} required approvals` };
}

export function evaluateCustomCheck(config: Record<string, unknown>, report: CheckReport | null): CriterionResult {
  const name = typeof config.name === 'string' && config.name ? config.name : 'custom check';
  if (!report) return { status: 'pending', detail: `${name}: no report yet` };
  const min = typeof config.min === 'number' ? config.min : null;
  const value = report.value === null ? '' : min === null ? ` ${report.value}` : ` ${report.value} ${report.passed ? '≥' : '<'} ${min}`;
  const note = report.detail ? ` (${report.detail})` : '';
  return { status: report.passed ? 'passed' : 'failed', detail: `${name}${value}: ${report.passed ? 'passed' : 'failed'}${note}` };
}

/** Change requests and deployments are not in the product yet: say so instead of pretending. */
export function evaluateNotAvailable(kind: 'change_approved' | 'deployment_succeeded'): CriterionResult {
  const what = kind === 'change_approved' ? 'change requests' : 'deployments';
  return { status: 'pending', detail: `waiting: ${what} are not available yet` };
}

export function evaluateCriterion(kind: CriterionKind, config: Record<string, unknown>, inputs: CriterionInputs): CriterionResult {
  switch (kind) {
    case 'all_scope_done':
      return evaluateAllScopeDone(inputs.scope);
    case 'no_open_blockers':
      return evaluateNoOpenBlockers(inputs.scope);
    case 'manual_signoff':
      return evaluateManualSignoff(inputs.signoffs);
    case 'custom_check':
      return evaluateCustomCheck(config, inputs.latestReport);
    case 'change_approved':
    case 'deployment_succeeded':
      return evaluateNotAvailable(kind);
  }
}

/** waived wins; then any failure fails the gate; it passes only when every criterion passed. */
export function gateStatusOf(waived: boolean, criteria: CriterionStatus[]): GateStatus {
  if (waived) return 'waived';
  if (criteria.some((c) => c === 'failed')) return 'failed';
  if (criteria.length > 0 && criteria.every((c) => c === 'passed')) return 'passed';
  return 'pending';
}

/** A custom check's verdict: computed from value ≥ min when the criterion sets a minimum. */
export function customCheckVerdict(config: Record<string, unknown>, report: { passed?: boolean; value?: number }):
  { ok: true; passed: boolean } | { ok: false; field: string; message: string } {
  const min = typeof config.min === 'number' ? config.min : null;
  if (min !== null) {
    if (report.value === undefined) return { ok: false, field: 'value', message: `required: this check passes when value ≥ ${min}` };
    const passed = report.value >= min;
    if (report.passed !== undefined && report.passed !== passed) {
      return { ok: false, field: 'passed', message: `contradicts value ${report.value} against the minimum ${min}; leave passed out` };
    }
    return { ok: true, passed };
  }
  if (report.passed === undefined) return { ok: false, field: 'passed', message: 'required: this check has no minimum to compare a value with' };
  return { ok: true, passed: report.passed };
}
