import { Badge, Button, Group, Modal, Stack, Table, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  type Reward,
  type Tier,
  useRewards,
  useSetRewardActive,
  useTiers,
} from '../../../shared/api/program.ts';
import { permissionsOf, useMe } from '../../../shared/api/session.ts';
import { useMoney } from '../../../shared/i18n/use-money.ts';
import { QueryView } from '../../../shared/layout/states.tsx';
import { useEnumLabel } from '../../use-labels.ts';
import { RewardForm } from './reward-form.tsx';
import { TierForm, useTierBasis } from './tier-form.tsx';

/** What a form modal edits: nothing (closed), a new item, or an existing one. */
type Editing<T> = { item?: T } | null;

function ActiveBadge({ active }: { active: boolean }) {
  const { t } = useTranslation();
  return (
    <Badge variant="light" color={active ? 'teal' : 'gray'}>
      {active ? t('common.active') : t('common.inactive')}
    </Badge>
  );
}

export function TiersPage() {
  const { t, i18n } = useTranslation();
  const tiers = useTiers();
  const can = permissionsOf(useMe());
  const money = useMoney();
  const { inMoney } = useTierBasis();
  const [editing, setEditing] = useState<Editing<Tier>>(null);
  const format = new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 2 });
  const close = () => setEditing(null);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          {t('program.tiersTitle')}
        </Title>
        {can.write && <Button onClick={() => setEditing({})}>{t('program.newTier')}</Button>}
      </Group>
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
                {can.write && <Table.Th />}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {data.data.map((tier) => (
                <Table.Tr key={tier.id}>
                  <Table.Td>{tier.name}</Table.Td>
                  <Table.Td ta="right">
                    {inMoney ? money.format(tier.conditionValue) : format.format(tier.conditionValue)}
                  </Table.Td>
                  <Table.Td ta="right">×{format.format(tier.earningMultiplier)}</Table.Td>
                  <Table.Td ta="right">{format.format(tier.customersCount)}</Table.Td>
                  <Table.Td>
                    <ActiveBadge active={tier.active} />
                  </Table.Td>
                  {can.write && (
                    <Table.Td ta="right">
                      <Button
                        size="xs"
                        variant="default"
                        onClick={() => setEditing({ item: tier })}
                        aria-label={`${t('program.edit')}: ${tier.name}`}
                      >
                        {t('program.edit')}
                      </Button>
                    </Table.Td>
                  )}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </QueryView>
      <Modal
        opened={editing !== null}
        onClose={close}
        closeButtonProps={{ 'aria-label': t('common.close') }}
        title={editing?.item ? t('program.editTier') : t('program.newTier')}
      >
        {editing && <TierForm tier={editing.item} onDone={close} />}
      </Modal>
    </Stack>
  );
}

export function RewardsPage() {
  const label = useEnumLabel();
  const { t, i18n } = useTranslation();
  const rewards = useRewards();
  const setActive = useSetRewardActive();
  const can = permissionsOf(useMe());
  const [editing, setEditing] = useState<Editing<Reward>>(null);
  const format = new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 2 });
  const close = () => setEditing(null);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          {t('program.rewardsTitle')}
        </Title>
        {can.write && <Button onClick={() => setEditing({})}>{t('program.newReward')}</Button>}
      </Group>
      <QueryView query={rewards} isEmpty={(data) => data.data.length === 0} empty={t('program.noRewards')}>
        {(data) => (
          <Table.ScrollContainer minWidth={480}>
            <Table striped aria-label={t('program.rewardsTitle')}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('program.ruleName')}</Table.Th>
                  <Table.Th>{t('program.ruleType')}</Table.Th>
                  <Table.Th ta="right">{t('program.cost')}</Table.Th>
                  <Table.Th>{t('members.status')}</Table.Th>
                  {can.write && <Table.Th />}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.data.map((reward) => (
                  <Table.Tr key={reward.id}>
                    <Table.Td>{reward.name}</Table.Td>
                    <Table.Td>{label('rewardType', reward.type)}</Table.Td>
                    <Table.Td ta="right">{format.format(reward.costPoints)}</Table.Td>
                    <Table.Td>
                      <ActiveBadge active={reward.active} />
                    </Table.Td>
                    {can.write && (
                      <Table.Td ta="right">
                        <Group gap="xs" justify="flex-end" wrap="nowrap">
                          <Button
                            size="xs"
                            variant="default"
                            onClick={() => setEditing({ item: reward })}
                            aria-label={`${t('program.edit')}: ${reward.name}`}
                          >
                            {t('program.edit')}
                          </Button>
                          <Button
                            size="xs"
                            variant="default"
                            onClick={() => setActive.mutate({ id: reward.id, active: !reward.active })}
                          >
                            {reward.active ? t('program.deactivate') : t('program.activate')}
                          </Button>
                        </Group>
                      </Table.Td>
                    )}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryView>
      <Modal
        opened={editing !== null}
        onClose={close}
        closeButtonProps={{ 'aria-label': t('common.close') }}
        title={editing?.item ? t('program.editReward') : t('program.newReward')}
        size="lg"
      >
        {editing && <RewardForm reward={editing.item} onDone={close} />}
      </Modal>
    </Stack>
  );
}
