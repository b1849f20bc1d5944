import { queryOptions, useSuspenseQuery } from '@tanstack/react-query';
import { authApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { CurrentUser } from '../../api/types';

export const meQueryOptions = queryOptions({
  queryKey: queryKeys.me,
  queryFn: ({ signal }) => authApi.me(signal),
  staleTime: 60_000,
});

/** The signed-in user. Only use below the authenticated layout (which loads it first). */
export function useCurrentUser(): CurrentUser {
  return useSuspenseQuery(meQueryOptions).data;
}

export function hasPermission(user: CurrentUser | undefined, permission: string): boolean {
  if (!user) return false;
  return user.permissions.includes(permission) || user.permissions.includes('*');
}

export function usePermission(permission: string): boolean {
  return hasPermission(useCurrentUser(), permission);
}

/** Only same-origin, absolute-path redirects (no `//host`), never back to the sign-in page. */
export function safeRedirect(target: string | undefined): string {
  if (!target || !target.startsWith('/') || target.startsWith('//') || target.startsWith('/\\')) return '/';
  if (target === '/sign-in' || target.startsWith('/sign-in?')) return '/';
  return target;
}
