import {
  createRootRouteWithContext,
  createRoute,
  createRouter,
  lazyRouteComponent,
  Outlet,
  redirect,
} from '@tanstack/react-router';
import type { QueryClient } from '@tanstack/react-query';
import { isApiError, setUnauthorizedHandler } from '../api/client';
import { queryClient } from '../queryClient';
import { meQueryOptions, safeRedirect } from '../features/auth/session';
import { AppLayout } from '../components/AppLayout';
import { RouteError, RouteNotFound, RoutePending } from '../components/RouteStates';
import {
  validateAuditSearch,
  validateCalendarSearch,
  validateReleasesSearch,
  validateServicesSearch,
  validateSignInSearch,
} from './search';
import { validateWindowsSearch } from '../features/windows/search';
import { validateChangesSearch } from '../features/changes/search';
import { validateCabBoardSearch } from '../features/cab/search';
import { validateEnvironmentsSearch } from '../features/bookings/search';
import { validateInventorySearch } from '../features/inventory/search';
import { validateDeploymentsSearch } from '../features/deployments/search';

interface RouterContext {
  queryClient: QueryClient;
}

const rootRoute = createRootRouteWithContext<RouterContext>()({
  component: Outlet,
  notFoundComponent: RouteNotFound,
});

const signInRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: 'sign-in',
  validateSearch: validateSignInSearch,
  beforeLoad: async ({ context, search }) => {
    // Already signed in? Go where the user wanted to be.
    const user = await context.queryClient.ensureQueryData(meQueryOptions).catch(() => null);
    if (user) throw redirect({ href: safeRedirect(search.redirect), replace: true });
  },
  component: lazyRouteComponent(() => import('../features/auth/SignInPage'), 'SignInPage'),
});

/** Everything below requires a session; the current user is loaded before any page renders. */
const authedRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: 'authed',
  beforeLoad: async ({ context, location }) => {
    try {
      await context.queryClient.ensureQueryData(meQueryOptions);
    } catch (error) {
      if (isApiError(error, 401)) {
        throw redirect({ to: '/sign-in', search: { redirect: location.href }, replace: true });
      }
      throw error;
    }
  },
  component: AppLayout,
});

const placeholders = () => import('../features/placeholders/AreaPage');

function page(path: string, component: ReturnType<typeof lazyRouteComponent>) {
  return createRoute({ getParentRoute: () => authedRoute, path, component });
}

const dashboardRoute = page('/', lazyRouteComponent(placeholders, 'DashboardPage'));
const changesRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: 'changes',
  validateSearch: validateChangesSearch,
  component: lazyRouteComponent(() => import('../features/changes/ChangesPage'), 'ChangesPage'),
});
const changeRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: 'changes/$number',
  component: lazyRouteComponent(() => import('../features/changes/ChangePage'), 'ChangePage'),
});
const approvalsRoute = page('approvals', lazyRouteComponent(() => import('../features/approvals/ApprovalsInboxPage'), 'ApprovalsInboxPage'));
const cabRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: 'cab',
  component: lazyRouteComponent(() => import('../features/cab/CabBoardsPage'), 'CabBoardsPage'),
});
const cabBoardRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: 'cab/$key',
  validateSearch: validateCabBoardSearch,
  component: lazyRouteComponent(() => import('../features/cab/CabBoardPage'), 'CabBoardPage'),
});
const environmentsAreaRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: 'environments',
  validateSearch: validateInventorySearch,
  component: lazyRouteComponent(() => import('../features/inventory/InventoryPage'), 'InventoryPage'),
});
const deploymentsRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: 'deployments',
  validateSearch: validateDeploymentsSearch,
  component: lazyRouteComponent(() => import('../features/deployments/DeploymentsPage'), 'DeploymentsPage'),
});
const metricsRoute = page('metrics', lazyRouteComponent(placeholders, 'MetricsPage'));
const integrationsRoute = page('integrations', lazyRouteComponent(placeholders, 'IntegrationsPage'));
const policiesLayout = createRoute({ getParentRoute: () => authedRoute, path: 'policies' });
const policiesIndexRoute = createRoute({ getParentRoute: () => policiesLayout, path: '/', component: lazyRouteComponent(() => import('../features/policies/PoliciesPage'), 'PoliciesPage') });
const profileRoute = createRoute({ getParentRoute: () => policiesLayout, path: '$key', component: lazyRouteComponent(() => import('../features/policies/ProfilePage'), 'ProfilePage') });
const policiesRoute = policiesLayout.addChildren([policiesIndexRoute, profileRoute]);

const releasesRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: 'releases',
  validateSearch: validateReleasesSearch,
  component: lazyRouteComponent(() => import('../features/releases/ReleasesPage'), 'ReleasesPage'),
});

const releaseTemplatesRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: 'releases/templates',
  component: lazyRouteComponent(
    () => import('../features/release-templates/ReleaseTemplatesPage'),
    'ReleaseTemplatesPage',
  ),
});

const releaseRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: 'releases/$key',
  component: lazyRouteComponent(() => import('../features/releases/ReleasePage'), 'ReleasePage'),
});

const calendarRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: 'calendar',
  validateSearch: validateCalendarSearch,
  component: lazyRouteComponent(() => import('../features/calendar/CalendarPage'), 'CalendarPage'),
});

const windowsRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: 'windows',
  validateSearch: validateWindowsSearch,
  component: lazyRouteComponent(() => import('../features/windows/WindowsPage'), 'WindowsPage'),
});

const auditRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: 'audit',
  validateSearch: validateAuditSearch,
  component: lazyRouteComponent(() => import('../features/audit/AuditPage'), 'AuditPage'),
});

const servicesRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: 'catalog/services',
  validateSearch: validateServicesSearch,
  component: lazyRouteComponent(() => import('../features/services/ServicesPage'), 'ServicesPage'),
});

const catalogEnvironmentsRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: 'catalog/environments',
  validateSearch: validateEnvironmentsSearch,
  component: lazyRouteComponent(() => import('../features/environments/EnvironmentsPage'), 'EnvironmentsPage'),
});

const teamsRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: 'catalog/teams',
  component: lazyRouteComponent(() => import('../features/teams/TeamsPage'), 'TeamsPage'),
});

const tokensRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: 'settings/tokens',
  component: lazyRouteComponent(() => import('../features/tokens/TokensPage'), 'TokensPage'),
});

// Short aliases so /services etc. also work.
const servicesAlias = createRoute({
  getParentRoute: () => rootRoute,
  path: 'services',
  beforeLoad: () => {
    throw redirect({ to: '/catalog/services', replace: true });
  },
});
const teamsAlias = createRoute({
  getParentRoute: () => rootRoute,
  path: 'teams',
  beforeLoad: () => {
    throw redirect({ to: '/catalog/teams', replace: true });
  },
});
const settingsAlias = createRoute({
  getParentRoute: () => rootRoute,
  path: 'settings',
  beforeLoad: () => {
    throw redirect({ to: '/settings/tokens', replace: true });
  },
});

const routeTree = rootRoute.addChildren([
  signInRoute,
  servicesAlias,
  teamsAlias,
  settingsAlias,
  authedRoute.addChildren([
    dashboardRoute,
    releasesRoute,
    releaseTemplatesRoute,
    releaseRoute,
    calendarRoute,
    windowsRoute,
    changesRoute,
    changeRoute,
    approvalsRoute,
    cabRoute,
    cabBoardRoute,
    environmentsAreaRoute,
    deploymentsRoute,
    metricsRoute,
    integrationsRoute,
    policiesRoute,
    auditRoute,
    servicesRoute,
    catalogEnvironmentsRoute,
    teamsRoute,
    tokensRoute,
  ]),
]);

export const router = createRouter({
  routeTree,
  context: { queryClient },
  defaultPreload: 'intent',
  // Data freshness is TanStack Query's job, not the router's.
  defaultPreloadStaleTime: 0,
  defaultPendingComponent: RoutePending,
  defaultPendingMs: 250,
  defaultErrorComponent: RouteError,
  defaultNotFoundComponent: RouteNotFound,
  scrollRestoration: true,
});

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}

/** Any 401 outside the sign-in flow: forget cached data and go to sign-in, coming back afterwards. */
export function installUnauthorizedRedirect(): void {
  setUnauthorizedHandler(() => {
    const { pathname, search, hash } = window.location;
    if (pathname === '/sign-in') return;
    queryClient.clear();
    void router.navigate({
      to: '/sign-in',
      search: { redirect: `${pathname}${search}${hash}` },
      replace: true,
    });
  });
}
