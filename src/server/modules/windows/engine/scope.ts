/** Scope matching and the lookup of candidate windows by service, environment, tier, tag and `all`. */
import type { EvaluationSubject, WindowScope } from './types.js';

/**
 * How a scope matches a subject, e.g. ['service s1', 'environment prod'] or ['all']; null when it
 * does not. Dimensions combine with AND, values within one with OR; an empty dimension matches
 * anything, an entirely empty scope nothing.
 */
export function scopeMatch(scope: WindowScope, s: EvaluationSubject): string[] | null {
  if (scope.all) return ['all'];
  const out: string[] = [];
  if (scope.serviceIds.length) {
    if (!scope.serviceIds.includes(s.serviceId)) return null;
    out.push(`service ${s.serviceId}`);
  }
  if (scope.environmentIds.length) {
    if (!scope.environmentIds.includes(s.environmentId)) return null;
    out.push(`environment ${s.environmentId}`);
  }
  if (scope.serviceTiers.length) {
    if (!scope.serviceTiers.includes(s.serviceTier)) return null;
    out.push(`service tier ${s.serviceTier}`);
  }
  if (scope.tags.length) {
    const tags = scope.tags.filter((t) => s.serviceTags.includes(t));
    if (!tags.length) return null;
    for (const t of tags) out.push(`tag ${t}`);
  }
  return out.length ? out : null;
}

/** True when the scope matches the subject (scopeMatch without building the words). */
export function inScope(scope: WindowScope, s: EvaluationSubject): boolean {
  if (scope.all) return true;
  if (scope.serviceIds.length && !scope.serviceIds.includes(s.serviceId)) return false;
  if (scope.environmentIds.length && !scope.environmentIds.includes(s.environmentId)) return false;
  if (scope.serviceTiers.length && !scope.serviceTiers.includes(s.serviceTier)) return false;
  if (scope.tags.length && !scope.tags.some((t) => s.serviceTags.includes(t))) return false;
  return scope.serviceIds.length + scope.environmentIds.length + scope.serviceTiers.length + scope.tags.length > 0;
}

/**
 * Files each item under its most selective dimension only: a scope must match on all of them anyway.
 * `make` creates the per-key container, `put` adds to it.
 */
export function createScopeIndex<G, I>(make: () => G, put: (group: G, item: I) => void): { add(scope: WindowScope, item: I): void; groups(s: EvaluationSubject): G[]; all(): G[] } {
  const all = make();
  const buckets = { service: new Map<string, G>(), environment: new Map<string, G>(), tag: new Map<string, G>(), tier: new Map<number, G>() };
  const into = <K>(map: Map<K, G>, key: K, item: I) => {
    let g = map.get(key);
    if (!g) map.set(key, (g = make()));
    put(g, item);
  };
  return {
    add(scope, item) {
      if (scope.all) put(all, item);
      else if (scope.serviceIds.length) for (const k of new Set(scope.serviceIds)) into(buckets.service, k, item);
      else if (scope.tags.length) for (const k of new Set(scope.tags)) into(buckets.tag, k, item);
      else if (scope.environmentIds.length) for (const k of new Set(scope.environmentIds)) into(buckets.environment, k, item);
      else for (const k of new Set(scope.serviceTiers)) into(buckets.tier, k, item);
    },
    groups(s) {
      const out = [all, buckets.service.get(s.serviceId), buckets.environment.get(s.environmentId), buckets.tier.get(s.serviceTier), ...s.serviceTags.map((t) => buckets.tag.get(t))];
      return out.filter((g): g is G => g !== undefined);
    },
    all: () => [all, ...buckets.service.values(), ...buckets.environment.values(), ...buckets.tag.values(), ...buckets.tier.values()],
  };
}
