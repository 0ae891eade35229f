import {
  Anchor,
  Badge,
  Button,
  Card,
  Divider,
  Group,
  Image,
  Modal,
  NumberInput,
  Progress,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDisclosure } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  type Balances,
  memberQuery,
  useBalances,
  useLedger,
  usePointsChange,
  useTierProgress,
} from '../../../shared/api/members.ts';
import { permissionsOf, useMe } from '../../../shared/api/session.ts';
import { useMoney } from '../../../shared/i18n/use-money.ts';
import {
  ErrorState,
  FormError,
  Loading,
  Pager,
  QueryView,
  serverErrors,
} from '../../../shared/layout/states.tsx';
import { useEnumLabel } from '../../use-labels.ts';
import { fullName } from './member-list.tsx';

function usePoints() {
  const { i18n } = useTranslation();
  const format = new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 2 });
  return (points: number) => format.format(points);
}

/** What expires in the next 30 days, summed in hundredths so no float sum drifts. */
function expiringTotal(expiring: { points: number }[]): number {
  return expiring.reduce((hundredths, lot) => hundredths + Math.round(lot.points * 100), 0) / 100;
}

function PointsDialog({
  memberId,
  direction,
  balances,
  opened,
  onClose,
}: {
  memberId: string;
  direction: 'add' | 'spend';
  balances: Balances | undefined;
  opened: boolean;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const change = usePointsChange(memberId, direction);
  const points = usePoints();
  const types =
    balances?.balances.map((balance) => ({ value: balance.pointType.id, label: balance.pointType.name })) ??
    [];
  const form = useForm<{ points: number | string; reason: string; pointTypeId: string | null }>({
    initialValues: { points: '', reason: '', pointTypeId: types[0]?.value ?? null },
  });
  const title = direction === 'add' ? t('members.addPoints') : t('members.spendPoints');
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={title}
      closeButtonProps={{ 'aria-label': t('common.close') }}
    >
      <form
        onSubmit={form.onSubmit((values) =>
          change.mutate(
            {
              points: values.points === '' ? 0 : values.points,
              reason: values.reason,
              ...(values.pointTypeId ? { pointTypeId: values.pointTypeId } : {}),
            },
            {
              onSuccess: () => {
                form.reset();
                onClose();
              },
              onError: (error) => serverErrors(form, error),
            },
          ),
        )}
      >
        <Stack>
          <FormError error={change.error} fields={['points', 'reason', 'pointTypeId']} />
          {types.length > 1 && (
            <Select label={t('members.pointType')} data={types} {...form.getInputProps('pointTypeId')} />
          )}
          <NumberInput
            label={t('members.points')}
            min={0}
            decimalScale={2}
            required
            data-autofocus
            {...form.getInputProps('points')}
          />
          <TextInput
            label={t('members.reason')}
            description={t('members.reasonHelp')}
            required
            {...form.getInputProps('reason')}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={change.isPending}>
              {title}
            </Button>
          </Group>
          {change.data && (
            <Text size="sm">{t('members.done', { active: points(change.data.balance.active) })}</Text>
          )}
        </Stack>
      </form>
    </Modal>
  );
}

/** The tier card: current tier, next tier and a bar of the way there (points, or money in major units). */
function TierCard({ memberId }: { memberId: string }) {
  const { t } = useTranslation();
  const progress = useTierProgress(memberId);
  const points = usePoints();
  const money = useMoney();
  if (progress.isPending) return <Loading rows={2} />;
  if (progress.isError) return <ErrorState error={progress.error} />;
  const data = progress.data;
  const show = (value: number) => (data.unit === 'money' ? money.format(value) : points(value));
  const missing = data.missingForNext ?? 0;
  const percent =
    data.nextTier && data.value + missing > 0 ? Math.floor((data.value * 100) / (data.value + missing)) : 100;
  return (
    <Stack gap={6}>
      <Text size="sm">
        {t('members.tier')}: <Badge variant="light">{data.currentTier?.name ?? t('dashboard.noTier')}</Badge>
      </Text>
      {data.nextTier ? (
        <>
          <Progress value={percent} aria-label={t('members.tierProgress')} data-testid="tier-progress" />
          <Text size="xs" c="dimmed">
            {t('members.tierNext', { missing: show(missing), tier: data.nextTier.name })}
          </Text>
        </>
      ) : (
        <Text size="xs" c="dimmed">
          {data.currentTier ? t('members.tierTop') : t('program.noTiers')}
        </Text>
      )}
    </Stack>
  );
}

/** A member: profile, balances per point type, the ledger with running balance order, actions by role. */
export function MemberPage() {
  const label = useEnumLabel();
  const { t, i18n } = useTranslation();
  const memberId = useParams({ strict: false }).memberId ?? '';
  const me = useMe();
  const member = useQuery(memberQuery(memberId));
  const balances = useBalances(memberId);
  const [cursor, setCursor] = useState<string | undefined>();
  const ledger = useLedger(memberId, cursor);
  const points = usePoints();
  const can = permissionsOf(me);
  const [adding, add] = useDisclosure();
  const [spending, spend] = useDisclosure();
  if (member.isPending) return <Loading rows={6} />;
  if (member.isError) return <ErrorState error={member.error} onRetry={() => member.refetch()} />;
  const profile = member.data;
  const typeName = new Map(
    balances.data?.balances.map((balance) => [balance.pointType.id, balance.pointType.name]),
  );
  return (
    <Stack>
      <Anchor component={Link} to="/members" size="sm">
        ← {t('members.back')}
      </Anchor>
      <Group justify="space-between">
        <Title order={1} size="h2">
          {fullName(profile)}
        </Title>
        {can.write && (
          <Group>
            <Button onClick={add.open}>{t('members.addPoints')}</Button>
            <Button variant="default" onClick={spend.open}>
              {t('members.spendPoints')}
            </Button>
          </Group>
        )}
      </Group>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder>
          <Title order={2} size="h4" mb="xs">
            {t('members.profile')}
          </Title>
          <Text size="sm">
            {t('members.email')}: {profile.email ?? '—'}
          </Text>
          <Text size="sm">
            {t('members.phone')}: {profile.phone ?? '—'}
          </Text>
          <Text size="sm">
            {t('members.card')}: <code>{profile.loyaltyCardNumber}</code>
          </Text>
          <Text size="sm">
            {t('members.status')}: <Badge variant="light">{label('status', profile.status)}</Badge>
          </Text>
          <Divider my="sm" />
          <TierCard memberId={memberId} />
          {profile.loyaltyCardNumber && (
            <Image
              src={`/v1/customers/${encodeURIComponent(profile.id)}/card.svg`}
              alt={t('members.cardQr', { number: profile.loyaltyCardNumber })}
              w={140}
              h={140}
              mt="sm"
              data-testid="card-qr"
            />
          )}
        </Card>
        <Card withBorder>
          <Title order={2} size="h4" mb="xs">
            {t('members.balances')}
          </Title>
          {balances.isPending ? (
            <Loading rows={2} />
          ) : balances.isError ? (
            <ErrorState error={balances.error} />
          ) : (
            balances.data.balances.map((balance) => (
              <Group key={balance.pointType.id} gap="lg" data-testid="balance">
                <Text fw={600}>{balance.pointType.name}</Text>
                <Text size="xl" fw={700} aria-label={`${t('members.active')} ${balance.pointType.name}`}>
                  {points(balance.active)}
                </Text>
                <Text size="sm" c="dimmed">
                  {t('members.pending')} {points(balance.pending)} · {t('members.blocked')}{' '}
                  {points(balance.blocked)} · {t('members.expiring')}{' '}
                  {points(expiringTotal(balance.expiring))}
                </Text>
              </Group>
            ))
          )}
        </Card>
      </SimpleGrid>
      <Title order={2} size="h4">
        {t('members.history')}
      </Title>
      <QueryView query={ledger} isEmpty={(data) => data.data.length === 0} empty={t('common.none')}>
        {(data) => (
          <>
            <Table.ScrollContainer minWidth={560}>
              <Table striped aria-label={t('members.history')}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('members.when')}</Table.Th>
                    <Table.Th>{t('members.kind')}</Table.Th>
                    <Table.Th>{t('members.pointType')}</Table.Th>
                    <Table.Th ta="right">{t('members.points')}</Table.Th>
                    <Table.Th>{t('members.reason')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.data.map((entry) => (
                    <Table.Tr key={entry.id}>
                      <Table.Td>{new Date(entry.createdAt).toLocaleString(i18n.language)}</Table.Td>
                      <Table.Td>{label('entryKind', entry.kind)}</Table.Td>
                      <Table.Td>{typeName.get(entry.pointTypeId) ?? '—'}</Table.Td>
                      <Table.Td ta="right" c={entry.delta < 0 ? 'red.8' : undefined}>
                        {entry.delta > 0 ? '+' : ''}
                        {points(entry.delta)}
                      </Table.Td>
                      <Table.Td>{entry.reason ?? '—'}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <Pager cursor={cursor} nextCursor={data.nextCursor} onChange={setCursor} />
          </>
        )}
      </QueryView>
      {can.write && (
        <>
          <PointsDialog
            memberId={memberId}
            direction="add"
            balances={balances.data}
            opened={adding}
            onClose={add.close}
          />
          <PointsDialog
            memberId={memberId}
            direction="spend"
            balances={balances.data}
            opened={spending}
            onClose={spend.close}
          />
        </>
      )}
    </Stack>
  );
}
