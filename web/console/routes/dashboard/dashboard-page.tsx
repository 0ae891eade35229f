import { BarChart } from '@mantine/charts';
import {
  Alert,
  Anchor,
  Card,
  Checkbox,
  Group,
  SimpleGrid,
  Skeleton,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../../shared/api/client.ts';
import { useEarningRules, useLocations, useRewards, useTiers } from '../../../shared/api/program.ts';
import { permissionsOf, useMe } from '../../../shared/api/session.ts';

const MEMBER_COUNT_CAP = 100;

/**
 * A placeholder until the analytics API (/v1/analytics/…) lands: what today's endpoints can tell.
 * The member count reads one page of /v1/customers (which has no total), so past 100 it says "more than".
 * TODO(analytics): members total/new/active, points issued/spent/outstanding, revenue share and
 * redemptions over a chosen range with a location filter, from the analytics API.
 */
export function DashboardPage() {
  const { t, i18n } = useTranslation();
  const can = permissionsOf(useMe());
  const format = new Intl.NumberFormat(i18n.language);
  const members = useQuery({
    queryKey: ['members', 'count'],
    queryFn: async () =>
      unwrap(await api.GET('/v1/customers', { params: { query: { limit: MEMBER_COUNT_CAP } } })),
  });
  const tiers = useTiers();
  const rules = useEarningRules();
  const rewards = useRewards();
  const locations = useLocations();
  const memberCount = members.data
    ? members.data.nextCursor
      ? t('dashboard.membersMore', { count: MEMBER_COUNT_CAP })
      : format.format(members.data.data.length)
    : undefined;
  const activeRules = rules.data?.data.filter((rule) => rule.active).length;
  const stat = (label: string, value: string | number | undefined, testId: string) => (
    <Card withBorder>
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      {value === undefined ? (
        <Skeleton height={32} mt={4} />
      ) : (
        <Text size="xl" fw={700} data-testid={testId}>
          {typeof value === 'number' ? format.format(value) : value}
        </Text>
      )}
    </Card>
  );
  const steps = [
    // No locations page yet: the step says what to do, without a link.
    { label: t('dashboard.stepLocation'), done: (locations.data?.data.length ?? 0) > 0, to: undefined },
    { label: t('dashboard.stepRule'), done: (activeRules ?? 0) > 0, to: '/program/rules' },
    { label: t('dashboard.stepReward'), done: (rewards.data?.data.length ?? 0) > 0, to: '/program/rewards' },
    { label: t('dashboard.stepPos'), done: false, to: can.access ? '/integrations/api-keys' : undefined },
  ];
  const tierData = tiers.data?.data.map((tier) => ({ tier: tier.name, members: tier.customersCount })) ?? [];
  return (
    <Stack>
      <Title order={1} size="h2">
        {t('dashboard.title')}
      </Title>
      <Alert color="blue" variant="light">
        {t('dashboard.analyticsNote')}
      </Alert>
      <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }}>
        {stat(t('dashboard.members'), memberCount, 'members-count')}
        {stat(t('dashboard.rules'), activeRules, 'rules-count')}
        {stat(t('dashboard.rewards'), rewards.data?.data.length, 'rewards-count')}
        {stat(t('dashboard.locations'), locations.data?.data.length, 'locations-count')}
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder>
          <Title order={2} size="h4" mb="sm">
            {t('dashboard.tiers')}
          </Title>
          {tierData.length > 0 ? (
            <BarChart
              h={220}
              data={tierData}
              dataKey="tier"
              series={[{ name: 'members', color: 'teal.6' }]}
            />
          ) : (
            <Text c="dimmed">{t('program.noTiers')}</Text>
          )}
        </Card>
        <Card withBorder>
          <Title order={2} size="h4" mb="sm">
            {t('dashboard.checklist')}
          </Title>
          <Stack gap="xs">
            {steps.map((step) => (
              <Group key={step.label} gap="xs">
                <Checkbox checked={step.done} readOnly aria-label={step.label} tabIndex={-1} />
                {step.to ? (
                  <Anchor component={Link} to={step.to}>
                    {step.label}
                  </Anchor>
                ) : (
                  <Text>{step.label}</Text>
                )}
              </Group>
            ))}
          </Stack>
        </Card>
      </SimpleGrid>
    </Stack>
  );
}
