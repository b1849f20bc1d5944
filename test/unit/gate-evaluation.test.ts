import { describe, expect, it } from 'vitest';
import {
  customCheckVerdict, evaluateAllScopeDone, evaluateCriterion, evaluateCustomCheck, evaluateManualSignoff, evaluateNoOpenBlockers, gateStatusOf, type CriterionInputs,
} from '../../src/server/modules/gates/gate-evaluation.js';

const inputs = (over: Partial<CriterionInputs> = {}): CriterionInputs => ({
  scope: { total: 0, done: 0, openBlockers: 0 },
  signoffs: { quorum: 1, approvals: 0, rejections: 0 },
  latestReport: null,
  ...over,
});

describe('criterion evaluators', () => {
  it('all_scope_done: pending with no scope, pending while any item is open, passed when all are done', () => {
    expect(evaluateAllScopeDone({ total: 0, done: 0, openBlockers: 0 })).toEqual({ status: 'pending', detail: 'no scope yet' });
    expect(evaluateAllScopeDone({ total: 3, done: 2, openBlockers: 0 })).toEqual({ status: 'pending', detail: '2 of 3 work items done' });
    expect(evaluateAllScopeDone({ total: 1, done: 1, openBlockers: 0 })).toEqual({ status: 'passed', detail: 'all 1 work item done' });
  });

  it('no_open_blockers: passed without blocking items that are not done', () => {
    expect(evaluateNoOpenBlockers({ total: 0, done: 0, openBlockers: 0 }).status).toBe('passed');
    expect(evaluateNoOpenBlockers({ total: 5, done: 1, openBlockers: 2 })).toEqual({ status: 'pending', detail: '2 open blocking work items' });
  });

  it('manual_signoff: quorum of approvals passes, any rejection fails', () => {
    expect(evaluateManualSignoff({ quorum: 2, approvals: 1, rejections: 0 })).toEqual({ status: 'pending', detail: '1 of 2 required approvals' });
    expect(evaluateManualSignoff({ quorum: 2, approvals: 2, rejections: 0 }).status).toBe('passed');
    expect(evaluateManualSignoff({ quorum: 2, approvals: 5, rejections: 1 })).toEqual({ status: 'failed', detail: 'rejected by 1 approver' });
  });

  it('custom_check: the latest report decides; no report is pending', () => {
    const config = { name: 'test pass rate', min: 98 };
    expect(evaluateCustomCheck(config, null)).toEqual({ status: 'pending', detail: 'test pass rate: no report yet' });
    expect(evaluateCustomCheck(config, { passed: false, value: 97.5, detail: '' })).toEqual({ status: 'failed', detail: 'test pass rate 97.5 < 98: failed' });
    expect(evaluateCustomCheck(config, { passed: true, value: 99, detail: 'nightly' })).toEqual({ status: 'passed', detail: 'test pass rate 99 ≥ 98: passed (nightly)' });
    expect(evaluateCustomCheck({}, { passed: true, value: null, detail: '' })).toEqual({ status: 'passed', detail: 'custom check: passed' });
  });

  it('change_approved and deployment_succeeded say plainly that they cannot pass yet', () => {
    expect(evaluateCriterion('change_approved', {}, inputs({ scope: { total: 1, done: 1, openBlockers: 0 } }))).toEqual({ status: 'pending', detail: 'waiting: change requests are not available yet' });
    expect(evaluateCriterion('deployment_succeeded', { environment: 'production' }, inputs())).toEqual({ status: 'pending', detail: 'waiting: deployments are not available yet' });
  });

  it('dispatches each kind to its evaluator', () => {
    expect(evaluateCriterion('all_scope_done', {}, inputs()).detail).toBe('no scope yet');
    expect(evaluateCriterion('no_open_blockers', {}, inputs()).status).toBe('passed');
    expect(evaluateCriterion('manual_signoff', {}, inputs({ signoffs: { quorum: 1, approvals: 1, rejections: 0 } })).status).toBe('passed');
    expect(evaluateCriterion('custom_check', {}, inputs({ latestReport: { passed: false, value: null, detail: '' } })).status).toBe('failed');
  });
});

describe('gate status', () => {
  it('waived wins, a failure fails, all passed passes, anything else is pending', () => {
    expect(gateStatusOf(true, ['failed'])).toBe('waived');
    expect(gateStatusOf(false, ['passed', 'failed', 'pending'])).toBe('failed');
    expect(gateStatusOf(false, ['passed', 'passed'])).toBe('passed');
    expect(gateStatusOf(false, ['passed', 'pending'])).toBe('pending');
    expect(gateStatusOf(false, [])).toBe('pending'); // a gate without criteria never passes by itself
  });
});

describe('custom check verdict', () => {
  it('computes passed from value ≥ min and refuses a contradicting or missing value', () => {
    const config = { name: 'test pass rate', min: 98 };
    expect(customCheckVerdict(config, { value: 98 })).toEqual({ ok: true, passed: true });
    expect(customCheckVerdict(config, { value: 97.9 })).toEqual({ ok: true, passed: false });
    expect(customCheckVerdict(config, { value: 99, passed: true })).toEqual({ ok: true, passed: true });
    expect(customCheckVerdict(config, { value: 90, passed: true })).toMatchObject({ ok: false, field: 'passed' });
    expect(customCheckVerdict(config, { passed: true })).toMatchObject({ ok: false, field: 'value' });
  });

  it('without a minimum, passed is required', () => {
    expect(customCheckVerdict({ name: 'pen test' }, { passed: false, value: 3 })).toEqual({ ok: true, passed: false });
    expect(customCheckVerdict({ name: 'pen test' }, { value: 3 })).toMatchObject({ ok: false, field: 'passed' });
  });
});
