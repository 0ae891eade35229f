import { Center, colorsTuple, createTheme, Loader, MantineProvider, Stack } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorState } from '../shared/layout/states.tsx';
import { cssVariables, theme as sharedTheme } from '../shared/layout/theme.ts';
import { type MemberPage, pageQuery, useMe } from './api.ts';
import { CardPage } from './card-page.tsx';
import { Frame } from './frame.tsx';
import { applyOrganizationLanguage } from './i18n/index.ts';
import { JoinPage } from './join-page.tsx';
import { navigate, type PageName, usePage } from './router.ts';
import { SignInPage } from './sign-in-page.tsx';

// Pages a member opens after the card: loaded when first opened, not with the join page.
const HistoryPage = lazy(() =>
  import('./history-page.tsx').then((module) => ({ default: module.HistoryPage })),
);
const RewardsPage = lazy(() =>
  import('./rewards-page.tsx').then((module) => ({ default: module.RewardsPage })),
);
const ProfilePage = lazy(() =>
  import('./profile-page.tsx').then((module) => ({ default: module.ProfilePage })),
);

const PUBLIC_PAGES: readonly PageName[] = ['join', 'sign-in'];

function Loading() {
  const { t } = useTranslation('member');
  return (
    <Center h="60vh">
      <Loader aria-label={t('loading')} />
    </Center>
  );
}

/** The organization's look: its color as the primary one (every shade, so buttons and links use it). */
function brandTheme(page: MemberPage | undefined) {
  if (!page) return sharedTheme;
  return createTheme({ ...sharedTheme, primaryColor: 'brand', colors: { brand: colorsTuple(page.color) } });
}

export function App() {
  const page = useQuery(pageQuery);
  const theme = useMemo(() => brandTheme(page.data), [page.data]);
  useEffect(() => {
    if (!page.data) return;
    applyOrganizationLanguage(page.data.language);
    document.title = page.data.name;
    document.querySelector('meta[name="theme-color"]')?.setAttribute('content', page.data.color);
  }, [page.data]);
  return (
    <MantineProvider theme={theme} cssVariablesResolver={cssVariables}>
      {page.isPending ? (
        <Loading />
      ) : page.data ? (
        <Screens page={page.data} />
      ) : (
        <Stack p="md">
          <ErrorState error={page.error} onRetry={() => page.refetch()} />
        </Stack>
      )}
    </MantineProvider>
  );
}

/** Which screen the address names, once it is known whether the visitor is signed in. */
function Screens({ page }: { page: MemberPage }) {
  const { t } = useTranslation('member');
  const current = usePage();
  const me = useMe();
  const signedIn = Boolean(me.data);
  const wrong =
    current !== 'not-found' && !me.isPending && signedIn === PUBLIC_PAGES.includes(current) && current !== '';
  useEffect(() => {
    // Signed-in members skip join and sign-in; the others are asked to sign in first.
    if (wrong) navigate(signedIn ? '' : 'sign-in', { replace: true });
  }, [wrong, signedIn]);

  if (current === 'not-found') {
    return (
      <Frame page={page} current="" signedIn={false}>
        <ErrorState error={new Error(t('notFound'))} />
      </Frame>
    );
  }
  if (me.isPending || wrong) return <Loading />;
  if (me.isError) return <ErrorState error={me.error} onRetry={() => me.refetch()} />;
  const screen = me.data ? signedInScreen(current, page) : publicScreen(current, page);
  return (
    <Frame page={page} current={current} signedIn={signedIn}>
      <Suspense fallback={<Loading />}>{screen}</Suspense>
    </Frame>
  );
}

function publicScreen(current: PageName, page: MemberPage) {
  return current === 'join' ? <JoinPage page={page} /> : <SignInPage page={page} />;
}

function signedInScreen(current: PageName, page: MemberPage) {
  switch (current) {
    case 'history':
      return <HistoryPage />;
    case 'rewards':
      return <RewardsPage />;
    case 'profile':
      return <ProfilePage page={page} />;
    default:
      return <CardPage page={page} />;
  }
}
