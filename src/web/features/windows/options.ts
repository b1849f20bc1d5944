import { useMemo } from 'react';
import { useQuery } from '@tanstack/react-query';
import { environmentsApi, servicesApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import { ApiError } from '../../api/client';

export const windowKeys = {
  all: ['windows'] as const,
  list: (params: object) => ['windows', 'list', params] as const,
  preview: (input: object) => ['windows', 'preview', input] as const,
  occurrences: (params: object) => ['windows', 'occurrences', params] as const,
};

/** Services and environments for pickers (first 200 of each), and the service tags in use. */
export function useCatalogOptions() {
  const services = useQuery({
    queryKey: queryKeys.services.options,
    queryFn: ({ signal }) => servicesApi.list({ limit: 200 }, signal),
    staleTime: 5 * 60_000,
  });
  const environments = useQuery({
    queryKey: queryKeys.environments.options,
    queryFn: ({ signal }) => environmentsApi.list({ limit: 200 }, signal),
    staleTime: 5 * 60_000,
  });
  return useMemo(() => {
    const serviceItems = services.data?.items ?? [];
    const envItems = [...(environments.data?.items ?? [])].sort((a, b) => a.order - b.order);
    const tags = [...new Set(serviceItems.flatMap((s) => s.tags ?? []))].sort();
    return {
      services: serviceItems.map((s) => ({ value: s.key, label: `${s.name} (${s.key})` })),
      environments: envItems.map((e) => ({ value: e.key, label: `${e.name} (${e.key})` })),
      environmentItems: envItems,
      tags,
    };
  }, [services.data, environments.data]);
}

/** Time zones the browser knows (IANA names), with UTC. */
export const TIME_ZONES: string[] = (() => {
  try {
    const zones = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
    return zones.includes('UTC') ? zones : ['UTC', ...zones];
  } catch {
    return ['UTC'];
  }
})();

/**
 * A problem's field errors keyed by form field: `errors[].path` (dotted or JSON-pointer style) is looked up in
 * `paths` (exact, then its longest known prefix); anything unknown is returned as `unplaced`.
 */
export function fieldErrorsOf(error: unknown, paths: Record<string, string>) {
  const fields: Record<string, string> = {};
  const unplaced: { path: string; message: string }[] = [];
  if (!(error instanceof ApiError)) return { fields, unplaced };
  for (const item of error.fieldErrors) {
    const segments = String(item.path ?? '')
      .replace(/^#?\/?/, '')
      .split(/[./[\]]+/)
      .filter(Boolean);
    if (segments[0] === 'body') segments.shift();
    let field: string | undefined;
    for (let n = segments.length; n > 0 && !field; n--) field = paths[segments.slice(0, n).join('.')];
    if (field) fields[field] = fields[field] ? `${fields[field]}; ${item.message}` : item.message;
    else unplaced.push(item);
  }
  return { fields, unplaced };
}
