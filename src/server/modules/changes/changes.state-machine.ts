import type { ChangeType } from '../../db/schema.js';
import type { FieldError } from '../../lib/errors.js';
import { CHANGE_STATES, type ChangeStateName } from './change-contracts.js';

/**
 * ServiceNow's change models (docs/decisions/0009-change-management.md): one forward path per type,
 * Canceled from New up to Implement. A rejection returning the change to New is not a user
 * transition: the approvals module makes it through ChangeWorkflow.returnToNew.
 */
export const PATHS: Record<ChangeType, ChangeStateName[]> = {
  normal: ['new', 'assess', 'authorize', 'scheduled', 'implement', 'review', 'closed'],
  standard: ['new', 'scheduled', 'implement', 'review', 'closed'],
  emergency: ['new', 'authorize', 'scheduled', 'implement', 'review', 'closed'],
};
const CANCELABLE: ChangeStateName[] = ['new', 'assess', 'authorize', 'scheduled', 'implement'];
export const TERMINAL: ChangeStateName[] = ['closed', 'canceled'];

export function nextStatesOf(type: ChangeType, from: ChangeStateName): ChangeStateName[] {
  const path = PATHS[type];
  const i = path.indexOf(from);
  const next: ChangeStateName[] = i >= 0 && i < path.length - 1 ? [path[i + 1]!] : [];
  if (CANCELABLE.includes(from)) next.push('canceled');
  return next;
}

export const stateRef = (name: ChangeStateName) => ({ name, value: CHANGE_STATES[name] });

/** What a transition needs, looked at on the change as it would be after the transition body is applied. */
export interface RequirementView {
  type: ChangeType;
  description: string;
  justification: string;
  assignmentTeamId: string | null;
  riskLevel: string | null;
  backoutPlan: string;
  securityImpact: string | null;
  hasProduction: boolean;
  /** post-implementation review tasks not done yet */
  openReviews: number;
  plannedStart: Date | null;
  plannedEnd: Date | null;
  actualStart: Date | null;
  actualEnd: Date | null;
  closeCode: string | null;
}

const blank = (s: string | null | undefined) => s === null || s === undefined || s.trim() === '';

export function missingFor(to: ChangeStateName, c: RequirementView): FieldError[] {
  const missing: FieldError[] = [];
  const need = (cond: boolean, path: string, message: string) => {
    if (cond) missing.push({ path, message });
  };
  switch (to) {
    case 'assess':
      need(c.assignmentTeamId === null, 'assignmentTeam', 'an assignment team is required before Assess');
      need(blank(c.description), 'description', 'a description of the change is required before Assess');
      need(blank(c.justification), 'justification', 'a justification (reason for the change) is required before Assess');
      break;
    case 'authorize':
      need(c.riskLevel === null, 'risk', 'a risk assessment is required before Authorize: run the conflict and risk check');
      if (c.type !== 'standard') need(blank(c.backoutPlan), 'backoutPlan', `a backout plan is required for ${c.type} changes before Authorize`);
      need(c.hasProduction && c.securityImpact === null, 'securityImpact', 'the security impact must be documented when a production environment is in scope');
      break;
    case 'scheduled':
      need(c.plannedStart === null, 'plannedStart', 'a planned start is required before Scheduled');
      need(c.plannedEnd === null, 'plannedEnd', 'a planned end is required before Scheduled');
      break;
    case 'review':
      need(c.actualStart === null, 'actualStart', 'the actual start is required before Review');
      need(c.actualEnd === null, 'actualEnd', 'the actual end is required before Review');
      need(c.closeCode === null, 'closeCode', 'a close code is required before Review');
      break;
    case 'closed':
      // the review is what makes an emergency change's retroactive approval acceptable to an auditor
      need(c.openReviews > 0, 'tasks', 'the post-implementation review must be completed before an emergency change is closed');
      break;
    default:
      break;
  }
  return missing;
}
