/**
 * Policy evaluation: a pure function from the facts of a proposed change or deployment and a policy
 * document to a decision and its explanation. Rules are read in order; every rule whose condition
 * holds fires, and for each part of the decision (change type, approvals, auto-approval, windows,
 * block) the first firing rule that sets it decides; `defaults` decides the rest. A fact that is not
 * known (null) satisfies no test.
 */
import type { ChangeType, RiskLevel } from '../../db/schema.js';
import type { ApprovalRequirement, Condition, EnvironmentTier, Outcome, PolicyDocument } from './policy-document.js';

export interface PolicyFacts {
  changeType?: ChangeType | null;
  riskLevel?: RiskLevel | null;
  riskScore?: number | null;
  /** the most critical environment in scope */
  environmentTier?: EnvironmentTier | null;
  /** the most critical service in scope (1 = most critical) */
  serviceTier?: number | null;
  testsPassed?: boolean | null;
  /** unsuccessful ÷ closed changes of the services over the last 90 days, 0…1 */
  changeFailureRate90d?: number | null;
  /** defaults to changeType = emergency */
  emergency?: boolean | null;
}

export interface Decision {
  changeType: ChangeType;
  approvals: ApprovalRequirement[];
  autoApprove: boolean;
  windows: 'respect' | 'ignore';
  /** why the change may not go ahead; null = it may */
  block: string | null;
}

export interface ConditionCheck {
  fact: string;
  /** the test as written in the policy */
  test: unknown;
  /** the fact's value */
  value: unknown;
  met: boolean;
}

export interface RuleTrace {
  id: string;
  fired: boolean;
  /** every fact test of the rule with the value it saw */
  conditions: ConditionCheck[];
  /** the parts of the decision this rule made */
  decided: (keyof Decision)[];
}

export interface Explanation {
  rules: RuleTrace[];
  /** the rules that fired, in order */
  fired: string[];
  /** the parts of the decision taken from `defaults` (or the built-in fallback) */
  fromDefaults: (keyof Decision)[];
  facts: Required<PolicyFacts>;
}

const OUTCOME_KEYS = ['changeType', 'approvals', 'autoApprove', 'windows', 'block'] as const;

function compare(value: number | null | undefined, test: Record<string, unknown>): boolean {
  if (value === null || value === undefined) return false;
  const ops: Record<string, (a: number, b: number) => boolean> = { '<': (a, b) => a < b, '<=': (a, b) => a <= b, '>': (a, b) => a > b, '>=': (a, b) => a >= b };
  return Object.entries(test).every(([op, bound]) => {
    if (op === 'in') return (bound as unknown[]).includes(value);
    const f = ops[op];
    return f ? f(value, bound as number) : false;
  });
}

function check(c: Condition, facts: Required<PolicyFacts>, out: ConditionCheck[]): boolean {
  if (c.all) {
    // every test is recorded, so the explanation shows all values even after one failed
    return c.all.map((x) => check(x, facts, out)).every(Boolean);
  }
  if (c.any) return c.any.map((x) => check(x, facts, out)).some(Boolean);
  const [fact, test] = Object.entries(c)[0] as [keyof PolicyFacts, unknown];
  const value = facts[fact] ?? null;
  let met: boolean;
  if (typeof test === 'boolean') met = value === test;
  else if (fact === 'riskLevel' || fact === 'environmentTier' || fact === 'changeType') met = value !== null && (test as { in: unknown[] }).in.includes(value);
  else met = compare(value as number | null, test as Record<string, unknown>);
  out.push({ fact, test, value, met });
  return met;
}

export function normalizeFacts(facts: PolicyFacts): Required<PolicyFacts> {
  const changeType = facts.changeType ?? null;
  return {
    changeType,
    riskLevel: facts.riskLevel ?? null,
    riskScore: facts.riskScore ?? null,
    environmentTier: facts.environmentTier ?? null,
    serviceTier: facts.serviceTier ?? null,
    testsPassed: facts.testsPassed ?? null,
    changeFailureRate90d: facts.changeFailureRate90d ?? null,
    emergency: facts.emergency ?? (changeType === null ? null : changeType === 'emergency'),
  };
}

/** The decision of a policy for these facts, with which rules fired and why. */
export function decide(input: PolicyFacts, document: PolicyDocument): { decision: Decision; explanation: Explanation } {
  const facts = normalizeFacts(input);
  const decided: Partial<Record<keyof Decision, unknown>> = {};
  const traces: RuleTrace[] = [];
  for (const rule of document.rules) {
    const conditions: ConditionCheck[] = [];
    const fired = !rule.when || ('all' in rule.when ? check({ all: rule.when.all }, facts, conditions) : check({ any: rule.when.any }, facts, conditions));
    const trace: RuleTrace = { id: rule.id, fired, conditions, decided: [] };
    if (fired) {
      for (const k of OUTCOME_KEYS) {
        if (rule.then[k] !== undefined && !(k in decided)) {
          decided[k] = rule.then[k];
          trace.decided.push(k);
        }
      }
    }
    traces.push(trace);
  }
  const defaults: Outcome = document.defaults ?? {};
  const fallback: Decision = { changeType: facts.changeType ?? 'normal', approvals: [], autoApprove: false, windows: 'respect', block: null };
  const fromDefaults: (keyof Decision)[] = [];
  for (const k of OUTCOME_KEYS) {
    if (!(k in decided)) {
      decided[k] = defaults[k] ?? fallback[k];
      fromDefaults.push(k);
    }
  }
  const d = decided as Decision;
  return {
    decision: { changeType: d.changeType, approvals: d.approvals.map((a) => ({ group: a.group, quorum: a.quorum })), autoApprove: d.autoApprove, windows: d.windows, block: d.block ?? null },
    explanation: { rules: traces, fired: traces.filter((t) => t.fired).map((t) => t.id), fromDefaults, facts },
  };
}

/** Every approver group key a document names, with its JSON pointer. */
export function groupReferences(document: PolicyDocument): { group: string; path: string }[] {
  const out: { group: string; path: string }[] = [];
  document.rules.forEach((r, i) => (r.then.approvals ?? []).forEach((a, j) => out.push({ group: a.group, path: `/rules/${i}/then/approvals/${j}/group` })));
  (document.defaults?.approvals ?? []).forEach((a, j) => out.push({ group: a.group, path: `/defaults/approvals/${j}/group` }));
  return out;
}
