import { Badge, Stack, Table, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useRewards, useTiers } from '../../../shared/api/program.ts';
import { QueryView } from '../../../shared/layout/states.tsx';
import { useEnumLabel } from '../../use-labels.ts';

export function TiersPage() {
  const { t, i18n } = useTranslation();
  const tiers = useTiers();
  const format = new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 2 });
  return (
    <Stack>
      <Title order={1} size="h2">
        {t('program.tiersTitle')}
      </Title>
      <QueryView query={tiers} isEmpty={(data) => data.data.length === 0} empty={t('program.noTiers')}>
        {(data) => (
          <Table striped aria-label={t('program.tiersTitle')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('program.ruleName')}</Table.Th>
                <Table.Th ta="right">{t('program.threshold')}</Table.Th>
                <Table.Th ta="right">{t('program.multiplier')}</Table.Th>
                <Table.Th ta="right">{t('program.membersCount')}</Table.Th>
                <Table.Th>{t('members.status')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {data.data.map((tier) => (
                <Table.Tr key={tier.id}>
                  <Table.Td>{tier.name}</Table.Td>
                  <Table.Td ta="right">{format.format(tier.conditionValue)}</Table.Td>
                  <Table.Td ta="right">×{format.format(tier.earningMultiplier)}</Table.Td>
                  <Table.Td ta="right">{format.format(tier.customersCount)}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={tier.active ? 'teal' : 'gray'}>
                      {tier.active ? t('common.active') : t('common.inactive')}
                    </Badge>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </QueryView>
    </Stack>
  );
}

export function RewardsPage() {
  const label = useEnumLabel();
  const { t, i18n } = useTranslation();
  const rewards = useRewards();
  const format = new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 2 });
  return (
    <Stack>
      <Title order={1} size="h2">
        {t('program.rewardsTitle')}
      </Title>
      <QueryView query={rewards} isEmpty={(data) => data.data.length === 0} empty={t('program.noRewards')}>
        {(data) => (
          <Table striped aria-label={t('program.rewardsTitle')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('program.ruleName')}</Table.Th>
                <Table.Th>{t('program.ruleType')}</Table.Th>
                <Table.Th ta="right">{t('program.cost')}</Table.Th>
                <Table.Th>{t('members.status')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {data.data.map((reward) => (
                <Table.Tr key={reward.id}>
                  <Table.Td>{reward.name}</Table.Td>
                  <Table.Td>{label('rewardType', reward.type)}</Table.Td>
                  <Table.Td ta="right">{format.format(reward.costPoints)}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={reward.active ? 'teal' : 'gray'}>
                      {reward.active ? t('common.active') : t('common.inactive')}
                    </Badge>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </QueryView>
    </Stack>
  );
}
