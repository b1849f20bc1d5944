import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createWindowIndex, type EvaluationRequest, type WindowDefinition } from '../../src/server/modules/windows/engine/index.js';

/**
 * nextAllowed against brute force: random windows on a 15-minute grid; the slot it proposes is
 * allowed, and every earlier start on the grid between the request and that slot is not.
 */

const Q = 15 * 60_000;
const BASE = Date.UTC(2026, 2, 23); // a Monday, a week before the Berlin DST change
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York'];
const local = (wall: number) => new Date(wall).toISOString().slice(0, 19);

const windowArb = fc.record({
  kind: fc.constantFrom('blackout', 'freeze', 'maintenance', 'booking' as const),
  zone: fc.constantFrom(...ZONES),
  startQ: fc.integer({ min: 0, max: 4 * 96 }),
  lenQ: fc.integer({ min: 1, max: 40 }),
  rrule: fc.constantFrom(null, 'FREQ=DAILY', 'FREQ=WEEKLY', 'FREQ=DAILY;COUNT=5'),
  env: fc.constantFrom('prod', 'uat'),
  holderMine: fc.boolean(),
});

describe('nextAllowed is the earliest allowed slot', () => {
  it('random windows: the slot is allowed and no earlier grid start is', () => {
    let found = 0;
    fc.assert(
      fc.property(fc.array(windowArb, { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 4 * 96 }), fc.integer({ min: 1, max: 12 }), fc.constantFrom('change', 'deployment' as const), (ws, startQ, lenQ, activity) => {
        const defs: WindowDefinition[] = ws.map((w, i) => {
          const lenQ = w.rrule?.startsWith('FREQ=DAILY') ? Math.min(w.lenQ, 90) : w.lenQ;
          const start = BASE + w.startQ * Q;
          return {
            id: `w${i}`, name: `w${i}`, kind: w.kind, timeZone: w.zone, start: local(start), end: local(start + lenQ * Q),
            rrule: w.kind === 'booking' ? null : w.rrule, exdates: [], holder: w.kind === 'booking' ? { teamId: w.holderMine ? 'me' : 'them', releaseId: null } : null,
            scope: { all: false, serviceIds: [], environmentIds: [w.env], serviceTiers: [], tags: [] },
          };
        });
        const idx = createWindowIndex(defs);
        const req = (start: number): EvaluationRequest => ({
          subject: { serviceId: 's', serviceTier: 1, serviceTags: [], environmentId: 'prod', teamId: 'me', releaseId: null },
          activity, start, end: start + lenQ * Q, overrides: new Map(),
        });
        const first = idx.evaluate(req(BASE + startQ * Q));
        if (first.allowed) return;
        if (!first.nextAllowed) {
          for (let t = BASE + startQ * Q; t < BASE + 30 * 96 * Q; t += Q) expect(idx.evaluate(req(t)).allowed).toBe(false);
          return;
        }
        found++;
        const slot = Date.parse(first.nextAllowed.start);
        expect(Date.parse(first.nextAllowed.end) - slot).toBe(lenQ * Q);
        expect(idx.evaluate(req(slot)).allowed).toBe(true);
        for (let t = BASE + startQ * Q; t < slot; t += Q) expect(idx.evaluate(req(t)).allowed).toBe(false);
      }),
      { numRuns: 300 },
    );
    expect(found).toBeGreaterThan(25); // enough runs check a proposed slot (typically 40–70 of 300)
  }, 120_000);
});
