import { QueryClient, useQuery, useSuspenseQuery } from '@tanstack/react-query';
import {
  createRootRouteWithContext,
  createRoute,
  createRouter,
  lazyRouteComponent,
  Outlet,
  type RouteComponent,
  redirect,
  useNavigate,
} from '@tanstack/react-router';
import { useEffect } from 'react';
import { isTillDevice, meQuery, organizationQuery, permissionsOf } from '../shared/api/session.ts';
import { applyDefaultLanguage } from '../shared/i18n/index.ts';
import { appPath, Shell } from '../shared/layout/shell.tsx';
import { ErrorState, Loading } from '../shared/layout/states.tsx';
import { AcceptInvitePage, ResetPasswordPage } from './routes/auth/password-pages.tsx';
import { SignInPage } from './routes/auth/sign-in.tsx';

export const queryClient = new QueryClient({
  defaultOptions: { queries: { staleTime: 15_000, retry: 1, refetchOnWindowFocus: false } },
});

const rootRoute = createRootRouteWithContext<{ queryClient: QueryClient }>()({
  component: Outlet,
});

const tokenSearch = (search: Record<string, unknown>) => ({
  token: typeof search.token === 'string' ? search.token : undefined,
});

const signInRoute = createRoute({ getParentRoute: () => rootRoute, path: '/sign-in', component: SignInPage });
const acceptInviteRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/accept-invite',
  validateSearch: tokenSearch,
  component: function AcceptInvite() {
    return <AcceptInvitePage token={acceptInviteRoute.useSearch().token} />;
  },
});
// A tablet being paired as a till: no account, only the manager's one-time code.
const pairRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/pair',
  component: lazyRouteComponent(() => import('./routes/devices/pairing-pages.tsx'), 'PairPage'),
});
const resetPasswordRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/reset-password',
  validateSearch: tokenSearch,
  component: function ResetPassword() {
    return <ResetPasswordPage token={resetPasswordRoute.useSearch().token} />;
  },
});

/**
 * Every signed-in page: nobody signed in → the sign-in page; a cashier → the till, wherever they
 * were going. The server enforces the same roles; this only keeps people off pages they cannot use.
 */
const appRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: 'app',
  beforeLoad: async ({ context, location }) => {
    const me = await context.queryClient.ensureQueryData(meQuery);
    if (!me?.staff && !isTillDevice(me)) throw redirect({ to: '/sign-in' });
    // Cashiers and paired till devices: the till, wherever they were going.
    if (permissionsOf(me).tillOnly && appPath(location.pathname) !== '/till') throw redirect({ to: '/till' });
    return { me };
  },
  component: function SignedIn() {
    const { data: me } = useSuspenseQuery(meQuery);
    const organization = useQuery({ ...organizationQuery, enabled: Boolean(me?.reach.includes('read')) });
    const navigate = useNavigate();
    useEffect(() => {
      applyDefaultLanguage(me?.staff?.language, organization.data?.country);
    }, [me?.staff?.language, organization.data?.country]);
    useEffect(() => {
      if (!me) void navigate({ to: '/sign-in' });
    }, [me, navigate]);
    if (!me) return null;
    return (
      <Shell me={me}>
        <Outlet />
      </Shell>
    );
  },
});

/** A page only some roles open: the others are sent to the dashboard (its link is not shown to them). */
function requires(permission: 'write' | 'access' | 'read') {
  return async ({ context }: { context: { queryClient: QueryClient } }) => {
    const me = await context.queryClient.ensureQueryData(meQuery);
    if (!permissionsOf(me)[permission]) throw redirect({ to: '/' });
  };
}

const page = <TPath extends string>(
  path: TPath,
  component: RouteComponent,
  permission?: 'write' | 'access' | 'read',
) =>
  createRoute({
    getParentRoute: () => appRoute,
    path,
    ...(permission ? { beforeLoad: requires(permission) } : {}),
    component,
  });

// Every signed-in page is its own chunk, loaded when first opened (or hovered): the sign-in page,
// the first one most people see, loads only what it needs.
const DashboardPage = lazyRouteComponent(
  () => import('./routes/dashboard/dashboard-page.tsx'),
  'DashboardPage',
);
const MemberListPage = lazyRouteComponent(() => import('./routes/members/member-list.tsx'), 'MemberListPage');
const ImportPage = lazyRouteComponent(() => import('./routes/members/import-page.tsx'), 'ImportPage');
const MemberPage = lazyRouteComponent(() => import('./routes/members/member-page.tsx'), 'MemberPage');
const RulesPage = lazyRouteComponent(() => import('./routes/program/rules-page.tsx'), 'RulesPage');
const TiersPage = lazyRouteComponent(() => import('./routes/program/catalogue-pages.tsx'), 'TiersPage');
const RewardsPage = lazyRouteComponent(() => import('./routes/program/catalogue-pages.tsx'), 'RewardsPage');
const PointTypesPage = lazyRouteComponent(
  () => import('./routes/program/catalogue-pages.tsx'),
  'PointTypesPage',
);
const LocationsPage = lazyRouteComponent(
  () => import('./routes/program/catalogue-pages.tsx'),
  'LocationsPage',
);
const ApiKeysPage = lazyRouteComponent(
  () => import('./routes/integrations/integrations-pages.tsx'),
  'ApiKeysPage',
);
const WebhooksPage = lazyRouteComponent(
  () => import('./routes/integrations/integrations-pages.tsx'),
  'WebhooksPage',
);
const DeliveriesPage = lazyRouteComponent(
  () => import('./routes/integrations/deliveries-page.tsx'),
  'DeliveriesPage',
);
const PosPage = lazyRouteComponent(() => import('./routes/integrations/pos-page.tsx'), 'PosPage');
const StaffPage = lazyRouteComponent(() => import('./routes/staff/staff-page.tsx'), 'StaffPage');
const AuditPage = lazyRouteComponent(() => import('./routes/audit/audit-page.tsx'), 'AuditPage');
const TillDevicesPage = lazyRouteComponent(
  () => import('./routes/devices/pairing-pages.tsx'),
  'TillDevicesPage',
);
const TillPage = lazyRouteComponent(() => import('../till/till-page.tsx'), 'TillPage');

const dashboardRoute = page('/', DashboardPage, 'read');
const membersRoute = page('/members', MemberListPage, 'read');
const importRoute = page('/members/import', ImportPage, 'write');
const memberRoute = page('/members/$memberId', MemberPage, 'read');
const rulesRoute = page('/program/rules', RulesPage, 'read');
const tiersRoute = page('/program/tiers', TiersPage, 'read');
const rewardsRoute = page('/program/rewards', RewardsPage, 'read');
const pointTypesRoute = page('/program/point-types', PointTypesPage, 'read');
const locationsRoute = page('/program/locations', LocationsPage, 'read');
const apiKeysRoute = page('/integrations/api-keys', ApiKeysPage, 'access');
const webhooksRoute = page('/integrations/webhooks', WebhooksPage, 'write');
const deliveriesRoute = page('/integrations/webhooks/$endpointId', DeliveriesPage, 'write');
const posRoute = page('/integrations/pos', PosPage, 'write');
const tillDevicesRoute = page('/integrations/till-devices', TillDevicesPage, 'write');
const staffRoute = page('/staff', StaffPage, 'access');
const auditRoute = page('/audit', AuditPage, 'read');
const tillRoute = page('/till', TillPage);

const routeTree = rootRoute.addChildren([
  signInRoute,
  acceptInviteRoute,
  resetPasswordRoute,
  pairRoute,
  appRoute.addChildren([
    dashboardRoute,
    membersRoute,
    importRoute,
    memberRoute,
    rulesRoute,
    tiersRoute,
    rewardsRoute,
    pointTypesRoute,
    locationsRoute,
    apiKeysRoute,
    webhooksRoute,
    deliveriesRoute,
    posRoute,
    tillDevicesRoute,
    staffRoute,
    auditRoute,
    tillRoute,
  ]),
]);

export const router = createRouter({
  routeTree,
  basepath: '/console',
  context: { queryClient },
  defaultPreload: 'intent',
  defaultPendingComponent: () => <Loading />,
  defaultErrorComponent: ({ error, reset }) => <ErrorState error={error} onRetry={reset} />,
});

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}
