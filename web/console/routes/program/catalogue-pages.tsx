import { Badge, Button } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import {
  useLocations,
  usePointTypes,
  useRewards,
  useSetRewardActive,
  useTiers,
} from '../../../shared/api/program.ts';
import { useMoney } from '../../../shared/i18n/use-money.ts';
import { useEnumLabel } from '../../use-labels.ts';
import { ActiveBadge, Catalogue } from './catalogue.tsx';
import { LocationForm } from './location-form.tsx';
import { PointTypeForm } from './point-type-form.tsx';
import { RewardForm } from './reward-form.tsx';
import { TierForm, useTierBasis } from './tier-form.tsx';

function useNumber() {
  const { i18n } = useTranslation();
  return new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 2 });
}

export function TiersPage() {
  const { t } = useTranslation();
  const money = useMoney();
  const format = useNumber();
  const { inMoney } = useTierBasis();
  return (
    <Catalogue
      title={t('program.tiersTitle')}
      empty={t('program.noTiers')}
      newLabel={t('program.newTier')}
      editTitle={t('program.editTier')}
      query={useTiers()}
      columns={[
        { header: t('program.ruleName'), cell: (tier) => tier.name },
        {
          header: t('program.threshold'),
          align: 'right',
          cell: (tier) => (inMoney ? money.format(tier.conditionValue) : format.format(tier.conditionValue)),
        },
        {
          header: t('program.multiplier'),
          align: 'right',
          cell: (tier) => `×${format.format(tier.earningMultiplier)}`,
        },
        {
          header: t('program.membersCount'),
          align: 'right',
          cell: (tier) => format.format(tier.customersCount),
        },
        { header: t('members.status'), cell: (tier) => <ActiveBadge active={tier.active} /> },
      ]}
      form={(tier, onDone) => <TierForm tier={tier} onDone={onDone} />}
    />
  );
}

export function RewardsPage() {
  const { t } = useTranslation();
  const label = useEnumLabel();
  const format = useNumber();
  const setActive = useSetRewardActive();
  return (
    <Catalogue
      title={t('program.rewardsTitle')}
      empty={t('program.noRewards')}
      newLabel={t('program.newReward')}
      editTitle={t('program.editReward')}
      query={useRewards()}
      modalSize="lg"
      columns={[
        { header: t('program.ruleName'), cell: (reward) => reward.name },
        { header: t('program.ruleType'), cell: (reward) => label('rewardType', reward.type) },
        { header: t('program.cost'), align: 'right', cell: (reward) => format.format(reward.costPoints) },
        { header: t('members.status'), cell: (reward) => <ActiveBadge active={reward.active} /> },
      ]}
      form={(reward, onDone) => <RewardForm reward={reward} onDone={onDone} />}
      actions={(reward) => (
        <Button
          size="xs"
          variant="default"
          onClick={() => setActive.mutate({ id: reward.id, active: !reward.active })}
        >
          {reward.active ? t('program.deactivate') : t('program.activate')}
        </Button>
      )}
    />
  );
}

export function PointTypesPage() {
  const { t } = useTranslation();
  const money = useMoney();
  return (
    <Catalogue
      title={t('program.pointTypesTitle')}
      empty={t('program.noPointTypes')}
      newLabel={t('program.newPointType')}
      editTitle={t('program.editPointType')}
      query={usePointTypes()}
      columns={[
        {
          header: t('program.ruleName'),
          cell: (type) => (
            <>
              {type.name}{' '}
              {type.isDefault && (
                <Badge variant="outline" size="sm">
                  {t('program.default')}
                </Badge>
              )}
            </>
          ),
        },
        { header: t('program.code'), cell: (type) => <code>{type.code}</code> },
        {
          header: t('program.expiry'),
          cell: (type) =>
            type.expiresAfterDays === null
              ? t('program.neverExpires')
              : t('program.expiresAfter', { count: type.expiresAfterDays }),
        },
        {
          header: t('program.valuePerThousand', { currency: money.currency }),
          align: 'right',
          cell: (type) =>
            type.valuePerThousandPoints === null ? '—' : money.format(type.valuePerThousandPoints),
        },
        { header: t('members.status'), cell: (type) => <ActiveBadge active={type.active} /> },
      ]}
      form={(type, onDone) => <PointTypeForm pointType={type} onDone={onDone} />}
    />
  );
}

export function LocationsPage() {
  const { t } = useTranslation();
  return (
    <Catalogue
      title={t('program.locationsTitle')}
      empty={t('program.noLocations')}
      newLabel={t('program.newLocation')}
      editTitle={t('program.editLocation')}
      query={useLocations()}
      columns={[
        { header: t('program.ruleName'), cell: (location) => location.name },
        {
          header: t('program.address'),
          cell: (location) => [location.address, location.city].filter(Boolean).join(', ') || '—',
        },
        {
          header: t('program.timeZone'),
          cell: (location) => location.timeZone ?? t('program.organizationZone'),
        },
        { header: t('program.externalId'), cell: (location) => location.externalId ?? '—' },
      ]}
      form={(location, onDone) => <LocationForm location={location} onDone={onDone} />}
    />
  );
}
