import { AppShell, Burger, Button, Group, NavLink, ScrollArea, Select, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Link, useRouterState } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { isTillDevice, type Me, permissionsOf, useSignOut, useUnpairDevice } from '../api/session.ts';
import { chooseLanguage, isLanguage, LANGUAGES } from '../i18n/index.ts';

interface NavItem {
  to: string;
  label: string;
  show: boolean;
}

export function LanguagePicker() {
  const { t, i18n } = useTranslation();
  return (
    <Select
      aria-label={t('common.language')}
      w={110}
      size="xs"
      value={i18n.language}
      data={LANGUAGES.map((value) => ({ value, label: value.toUpperCase() }))}
      onChange={(value) => isLanguage(value) && chooseLanguage(value)}
      allowDeselect={false}
    />
  );
}

/** A location's path inside the console, whether or not the router left its basepath on it. */
export function appPath(pathname: string): string {
  return pathname.replace(/^\/console(?=\/|$)/, '').replace(/\/$/, '') || '/';
}

/** The signed-in frame: the role's navigation (what a role cannot open is not shown), header, content. */
export function Shell({ me, children }: { me: Me; children: React.ReactNode }) {
  const { t } = useTranslation();
  const [opened, { toggle, close }] = useDisclosure();
  const path = useRouterState({ select: (state) => state.location.pathname });
  const signOut = useSignOut();
  const unpair = useUnpairDevice();
  const device = isTillDevice(me);
  const can = permissionsOf(me);
  const groups: { label?: string; items: NavItem[] }[] = [
    { items: [{ to: '/', label: t('nav.dashboard'), show: can.read }] },
    { items: [{ to: '/members', label: t('nav.members'), show: can.read }] },
    {
      label: t('nav.program'),
      items: [
        { to: '/program/rules', label: t('nav.rules'), show: can.read },
        { to: '/program/tiers', label: t('nav.tiers'), show: can.read },
        { to: '/program/rewards', label: t('nav.rewards'), show: can.read },
        { to: '/program/point-types', label: t('nav.pointTypes'), show: can.read },
        { to: '/program/locations', label: t('nav.locations'), show: can.read },
      ],
    },
    {
      label: t('nav.integrations'),
      items: [
        { to: '/integrations/api-keys', label: t('nav.apiKeys'), show: can.access },
        { to: '/integrations/webhooks', label: t('nav.webhooks'), show: can.write },
        { to: '/integrations/pos', label: t('nav.pos'), show: can.write },
        { to: '/integrations/till-devices', label: t('nav.tillDevices'), show: can.write },
      ],
    },
    {
      items: [
        { to: '/staff', label: t('nav.staff'), show: can.access },
        { to: '/audit', label: t('nav.audit'), show: can.read },
      ],
    },
  ];
  const current = appPath(path);
  const isActive = (to: string) => (to === '/' ? current === '/' : current.startsWith(to));
  return (
    <AppShell
      header={{ height: 56 }}
      // A cashier has only the till: no navigation to show.
      navbar={{ width: 230, breakpoint: 'sm', collapsed: { mobile: !opened, desktop: can.tillOnly } }}
      padding="md"
    >
      <a href="#main" className="skip-link">
        {t('nav.skip')}
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            {!can.tillOnly && (
              <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t('nav.menu')} />
            )}
            <Title order={4} component="p">
              Regulars
            </Title>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Text size="sm" c="dimmed" visibleFrom="xs">
              {device
                ? t('nav.tillDevice')
                : `${me.staff?.name ?? me.staff?.email} · ${me.staff ? t(`staff.roles.${me.staff.role}`) : ''}`}
            </Text>
            <LanguagePicker />
            {device ? (
              <Button size="xs" variant="default" onClick={unpair}>
                {t('nav.unpair')}
              </Button>
            ) : (
              <Button
                size="xs"
                variant="default"
                loading={signOut.isPending}
                onClick={() => signOut.mutate()}
              >
                {t('nav.signOut')}
              </Button>
            )}
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label={t('nav.menu')} component="nav">
        <ScrollArea>
          {groups.map((group) => {
            const items = group.items.filter((item) => item.show);
            if (items.length === 0) return null;
            return (
              <div key={items[0]?.to}>
                {group.label && (
                  <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" pt="md" pb={4}>
                    {group.label}
                  </Text>
                )}
                {items.map((item) => (
                  <NavLink
                    key={item.to}
                    component={Link}
                    to={item.to}
                    label={item.label}
                    active={isActive(item.to)}
                    aria-current={isActive(item.to) ? 'page' : undefined}
                    onClick={close}
                  />
                ))}
              </div>
            );
          })}
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        {!can.write && !can.tillOnly && (
          <Text size="sm" c="dimmed" mb="sm" data-testid="read-only">
            {t('common.readOnly')}
          </Text>
        )}
        {children}
      </AppShell.Main>
    </AppShell>
  );
}
