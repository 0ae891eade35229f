import { QueryClient, useQuery, useSuspenseQuery } from '@tanstack/react-query';
import {
  createRootRouteWithContext,
  createRoute,
  createRouter,
  Outlet,
  redirect,
  useNavigate,
} from '@tanstack/react-router';
import { useEffect } from 'react';
import { meQuery, organizationQuery, permissionsOf } from '../shared/api/session.ts';
import { applyDefaultLanguage } from '../shared/i18n/index.ts';
import { Shell } from '../shared/layout/shell.tsx';
import { ErrorState, Loading } from '../shared/layout/states.tsx';
import { TillPage } from '../till/till-page.tsx';
import { AuditPage } from './routes/audit/audit-page.tsx';
import { AcceptInvitePage, ResetPasswordPage } from './routes/auth/password-pages.tsx';
import { SignInPage } from './routes/auth/sign-in.tsx';
import { DashboardPage } from './routes/dashboard/dashboard-page.tsx';
import { ApiKeysPage, WebhooksPage } from './routes/integrations/integrations-pages.tsx';
import { MemberListPage } from './routes/members/member-list.tsx';
import { MemberPage } from './routes/members/member-page.tsx';
import { RewardsPage, TiersPage } from './routes/program/catalogue-pages.tsx';
import { RulesPage } from './routes/program/rules-page.tsx';
import { StaffPage } from './routes/staff/staff-page.tsx';

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
    if (!me?.staff) throw redirect({ to: '/sign-in' });
    if (me.staff.role === 'cashier' && location.pathname !== '/console/till') throw redirect({ to: '/till' });
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

function useMe() {
  const { data } = useSuspenseQuery(meQuery);
  if (!data) throw new Error('not signed in');
  return data;
}

const page = <TPath extends string>(
  path: TPath,
  component: () => React.ReactNode,
  permission?: 'write' | 'access' | 'read',
) =>
  createRoute({
    getParentRoute: () => appRoute,
    path,
    ...(permission ? { beforeLoad: requires(permission) } : {}),
    component,
  });

const dashboardRoute = page('/', DashboardPage, 'read');
const membersRoute = page('/members', MemberListPage, 'read');
const memberRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/members/$memberId',
  beforeLoad: requires('read'),
  component: function Member() {
    const { memberId } = memberRoute.useParams();
    return <MemberPage memberId={memberId} me={useMe()} />;
  },
});
const rulesRoute = page('/program/rules', () => <RulesPage me={useMe()} />, 'read');
const tiersRoute = page('/program/tiers', TiersPage, 'read');
const rewardsRoute = page('/program/rewards', RewardsPage, 'read');
const apiKeysRoute = page('/integrations/api-keys', ApiKeysPage, 'access');
const webhooksRoute = page('/integrations/webhooks', WebhooksPage, 'write');
const staffRoute = page('/staff', StaffPage, 'access');
const auditRoute = page('/audit', AuditPage, 'read');
const tillRoute = page('/till', TillPage);

const routeTree = rootRoute.addChildren([
  signInRoute,
  acceptInviteRoute,
  resetPasswordRoute,
  appRoute.addChildren([
    dashboardRoute,
    membersRoute,
    memberRoute,
    rulesRoute,
    tiersRoute,
    rewardsRoute,
    apiKeysRoute,
    webhooksRoute,
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
