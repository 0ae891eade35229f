import { AreaChart, BarChart } from '@mantine/charts';
import {
  Anchor,
  Card,
  Checkbox,
  Group,
  SegmentedControl,
  Select,
  SimpleGrid,
  Skeleton,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type ReportRange, useDashboardReports } from '../../../shared/api/analytics.ts';
import { useEarningRules, useLocations, useRewards } from '../../../shared/api/program.ts';
import { organizationQuery, permissionsOf, useMe } from '../../../shared/api/session.ts';
import { useMoney } from '../../../shared/i18n/use-money.ts';
import { ErrorState } from '../../../shared/layout/states.tsx';

const RANGES = {
  '7': { days: 7, granularity: 'day' },
  '30': { days: 30, granularity: 'day' },
  '90': { days: 90, granularity: 'week' },
  '365': { days: 365, granularity: 'month' },
} as const;
type RangeKey = keyof typeof RANGES;

/** Today in the organization's time zone, as YYYY-MM-DD (the analytics API's local days). */
function localToday(timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date());
}

function daysBefore(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
}

function Stat({
  label,
  value,
  testId,
  hint,
}: {
  label: string;
  value: string | undefined;
  testId: string;
  hint?: ReactNode;
}) {
  return (
    <Card withBorder>
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      {value === undefined ? (
        <Skeleton height={32} mt={4} />
      ) : (
        <Text size="xl" fw={700} data-testid={testId}>
          {value}
        </Text>
      )}
      {hint && value !== undefined && (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      )}
    </Card>
  );
}

function ChartCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="sm">
        {title}
      </Title>
      {children}
    </Card>
  );
}

/** The first-run checklist: what a new program needs before members earn anything. */
function Checklist() {
  const { t } = useTranslation();
  const can = permissionsOf(useMe());
  const rules = useEarningRules();
  const rewards = useRewards();
  const locations = useLocations();
  const steps = [
    { label: t('dashboard.stepLocation'), done: (locations.data?.data.length ?? 0) > 0, to: undefined },
    {
      label: t('dashboard.stepRule'),
      done: (rules.data?.data.filter((rule) => rule.active).length ?? 0) > 0,
      to: '/program/rules',
    },
    { label: t('dashboard.stepReward'), done: (rewards.data?.data.length ?? 0) > 0, to: '/program/rewards' },
    { label: t('dashboard.stepPos'), done: false, to: can.write ? '/integrations/pos' : undefined },
  ];
  return (
    <ChartCard title={t('dashboard.checklist')}>
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
    </ChartCard>
  );
}

/**
 * The Monday screen, from the analytics API: members, points and their liability, the members' share
 * of revenue and redemptions over a chosen range, at one location or all.
 */
export function DashboardPage() {
  const { t, i18n } = useTranslation();
  const money = useMoney();
  const organization = useQuery(organizationQuery);
  const locations = useLocations();
  const [rangeKey, setRangeKey] = useState<RangeKey>('30');
  const [locationId, setLocationId] = useState<string | null>(null);
  const timeZone = organization.data?.timeZone ?? 'UTC';
  const today = localToday(timeZone);
  const chosen = RANGES[rangeKey];
  const range: ReportRange = {
    from: daysBefore(today, chosen.days - 1),
    to: today,
    granularity: chosen.granularity,
    ...(locationId ? { locationId } : {}),
  };
  const { members, points, sales, rewards } = useDashboardReports(range);
  const count = new Intl.NumberFormat(i18n.language);
  const pointsFormat = new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 2 });
  const percent = new Intl.NumberFormat(i18n.language, { style: 'percent', maximumFractionDigits: 1 });
  const periodFormat = new Intl.DateTimeFormat(i18n.language, {
    timeZone: 'UTC',
    ...(chosen.granularity === 'month'
      ? { month: 'short', year: '2-digit' }
      : { day: 'numeric', month: 'short' }),
  });
  const period = (day: string) => periodFormat.format(Date.parse(`${day}T00:00:00Z`));
  const major = (minor: number) => minor / 10 ** money.digits; // chart heights only; labels use money.format

  // Point types are different currencies: each is shown on its own, never added together.
  const outstanding = points.data?.liability.byPointType
    .map((type) => `${pointsFormat.format(type.outstanding)} ${type.name}`)
    .join(' · ');
  const liability = points.data?.liability.value;
  const salesTotals = sales.data?.totals;
  const share =
    salesTotals && salesTotals.revenue !== null
      ? salesTotals.revenue > 0
        ? percent.format(salesTotals.memberRevenue / salesTotals.revenue)
        : '—'
      : undefined;
  const rewardTotals = rewards.data?.totals;
  const failed = [members, points, sales, rewards].find((query) => query.error);

  return (
    <Stack>
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <Title order={1} size="h2">
          {t('dashboard.title')}
        </Title>
        <Group align="flex-end" wrap="wrap">
          <SegmentedControl
            aria-label={t('dashboard.range')}
            value={rangeKey}
            onChange={(value) => setRangeKey(value as RangeKey)}
            data={(Object.keys(RANGES) as RangeKey[]).map((key) => ({
              value: key,
              label: t(`dashboard.ranges.${key}`),
            }))}
          />
          <Select
            label={t('dashboard.location')}
            placeholder={t('dashboard.allLocations')}
            clearable
            data={(locations.data?.data ?? []).map((location) => ({
              value: location.id,
              label: location.name,
            }))}
            value={locationId}
            onChange={setLocationId}
            w={240}
          />
        </Group>
      </Group>
      <Text size="sm" c="dimmed">
        {t('dashboard.freshness', { from: range.from, to: range.to, timeZone })}
      </Text>
      {failed?.error && <ErrorState error={failed.error} onRetry={() => void failed.refetch()} />}
      <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }}>
        <Stat
          label={t('dashboard.members')}
          value={members.data && count.format(members.data.now.members)}
          testId="members-total"
          hint={members.data && t('dashboard.lapsed', { count: members.data.now.lapsedMembers })}
        />
        <Stat
          label={t('dashboard.newMembers')}
          value={members.data && count.format(members.data.totals.newMembers)}
          testId="members-new"
        />
        <Stat
          label={t('dashboard.activeMembers')}
          value={members.data && count.format(members.data.totals.activeMembers)}
          testId="members-active"
        />
        <Stat
          label={t('dashboard.revenueShare')}
          value={share}
          testId="revenue-share"
          hint={
            salesTotals &&
            t('dashboard.revenueShareHint', {
              member: money.format(salesTotals.memberRevenue),
              total: salesTotals.revenue === null ? '—' : money.format(salesTotals.revenue),
            })
          }
        />
        <Stat
          label={t('dashboard.pointsIssued')}
          value={points.data && pointsFormat.format(points.data.totals.issued)}
          testId="points-issued"
        />
        <Stat
          label={t('dashboard.pointsSpent')}
          value={points.data && pointsFormat.format(points.data.totals.spent)}
          testId="points-spent"
        />
        <Stat
          label={t('dashboard.outstanding')}
          value={outstanding === undefined ? undefined : outstanding || '0'}
          testId="points-outstanding"
          hint={
            points.data &&
            (liability === null || liability === undefined
              ? t('dashboard.liabilityUnset')
              : t('dashboard.liability', { value: money.format(liability) }))
          }
        />
        <Stat
          label={t('dashboard.redemptions')}
          value={rewardTotals && count.format(rewardTotals.couponsUsed + rewardTotals.redemptions)}
          testId="redemptions"
          hint={rewardTotals && t('dashboard.claims', { count: rewardTotals.claims })}
        />
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <ChartCard title={t('dashboard.membersChart')}>
          {members.data ? (
            <AreaChart
              h={220}
              withDots={false}
              data={members.data.series.map((row) => ({ ...row, period: period(row.period) }))}
              dataKey="period"
              withLegend
              series={[
                { name: 'newMembers', label: t('dashboard.newMembers'), color: 'teal.6' },
                { name: 'activeMembers', label: t('dashboard.activeMembers'), color: 'indigo.6' },
              ]}
              valueFormatter={(value) => count.format(value)}
            />
          ) : (
            <Skeleton h={220} />
          )}
        </ChartCard>
        <ChartCard title={t('dashboard.pointsChart')}>
          {points.data ? (
            <BarChart
              h={220}
              data={points.data.series.map((row) => ({ ...row, period: period(row.period) }))}
              dataKey="period"
              withLegend
              series={[
                { name: 'issued', label: t('dashboard.pointsIssued'), color: 'teal.6' },
                { name: 'spent', label: t('dashboard.pointsSpent'), color: 'orange.6' },
              ]}
              valueFormatter={(value) => pointsFormat.format(value)}
            />
          ) : (
            <Skeleton h={220} />
          )}
        </ChartCard>
        <ChartCard title={t('dashboard.salesChart')}>
          {sales.data ? (
            <AreaChart
              h={220}
              withDots={false}
              type="stacked"
              data={sales.data.series.map((row) => ({
                period: period(row.period),
                memberRevenue: major(row.memberRevenue),
                anonymousRevenue: major(row.anonymousRevenue ?? 0),
              }))}
              dataKey="period"
              withLegend
              series={[
                { name: 'memberRevenue', label: t('dashboard.memberRevenue'), color: 'teal.6' },
                { name: 'anonymousRevenue', label: t('dashboard.anonymousRevenue'), color: 'gray.5' },
              ]}
              valueFormatter={(value) =>
                new Intl.NumberFormat(i18n.language, { style: 'currency', currency: money.currency }).format(
                  value,
                )
              }
            />
          ) : (
            <Skeleton h={220} />
          )}
        </ChartCard>
        <ChartCard title={t('dashboard.tiers')}>
          {members.data ? (
            <BarChart
              h={220}
              data={members.data.now.byTier.map((tier) => ({
                tier: tier.name ?? t('dashboard.noTier'),
                members: tier.members,
              }))}
              dataKey="tier"
              series={[{ name: 'members', label: t('dashboard.members'), color: 'teal.6' }]}
              valueFormatter={(value) => count.format(value)}
            />
          ) : (
            <Skeleton h={220} />
          )}
        </ChartCard>
      </SimpleGrid>
      <Checklist />
    </Stack>
  );
}
