import { Badge, Button, Group, Image, Progress, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useMoney } from '../shared/i18n/use-money.ts';
import { QueryView } from '../shared/layout/states.tsx';
import {
  type MemberPage,
  type Points,
  type TierProgress,
  useCard,
  useGoogleSaveLink,
  useMe,
  usePoints,
  useTier,
  useWallets,
} from './api.ts';
import { useFormat } from './format.ts';
import { Section } from './frame.tsx';

/** The card to show at the till, the tier and what is missing for the next, and the balances. */
export function CardPage({ page }: { page: MemberPage }) {
  const { t } = useTranslation('member');
  const me = useMe().data;
  const card = useCard();
  const tier = useTier();
  const points = usePoints();
  return (
    <Stack gap="lg">
      <Section title={me?.firstName ? t('card.hello', { name: me.firstName }) : t('card.title')}>
        <QueryView query={card} rows={3}>
          {({ loyaltyCardNumber, qrSvg }) => (
            <Stack gap="xs" align="center">
              <Image
                src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(qrSvg)}`}
                alt={t('card.qr', { number: loyaltyCardNumber })}
                w={220}
                h={220}
              />
              <Text size="sm" c="dimmed">
                {t('card.number')}
              </Text>
              <Text ff="monospace" fz={24} fw={700} lts={2} data-testid="card-number">
                {loyaltyCardNumber}
              </Text>
              <Text size="sm" ta="center">
                {t('card.show')}
              </Text>
            </Stack>
          )}
        </QueryView>
        <QueryView query={tier} rows={1}>
          {(progress) => <TierLine progress={progress} currency={page.currency} />}
        </QueryView>
        <WalletButtons />
      </Section>
      <Title order={2} size="h3">
        {t('card.balances')}
      </Title>
      <QueryView query={points} rows={2}>
        {(data) => <Balances balances={data.balances} />}
      </QueryView>
    </Stack>
  );
}

function TierLine({ progress, currency }: { progress: TierProgress; currency: string }) {
  const { t } = useTranslation('member');
  const money = useMoney(currency);
  const { points } = useFormat();
  const { currentTier, nextTier, missingForNext, value, unit } = progress;
  const amount = (n: number) =>
    unit === 'money' ? money.format(n) : t('card.points', { points: points(n) });
  const done = nextTier && missingForNext !== null ? value / (value + missingForNext) : 1;
  return (
    <Stack gap={6}>
      <Group justify="space-between">
        <Badge size="lg" variant="outline">
          {currentTier ? t('card.tier', { name: currentTier.name }) : t('card.noTier')}
        </Badge>
      </Group>
      {nextTier && missingForNext !== null ? (
        <>
          <Progress
            value={Math.round(done * 100)}
            aria-label={t('card.toNext', { missing: amount(missingForNext), name: nextTier.name })}
          />
          <Text size="sm" data-testid="tier-progress">
            {t('card.toNext', { missing: amount(missingForNext), name: nextTier.name })}
          </Text>
        </>
      ) : (
        currentTier && <Text size="sm">{t('card.topTier')}</Text>
      )}
    </Stack>
  );
}

function Balances({ balances }: { balances: Points['balances'] }) {
  const { t } = useTranslation('member');
  const format = useFormat();
  if (balances.length === 0) return <Text c="dimmed">{t('card.noPoints')}</Text>;
  return (
    <Stack gap="sm">
      {balances.map((balance) => (
        <Stack
          key={balance.pointType.id}
          gap={4}
          p="md"
          style={{ border: '1px solid var(--mantine-color-gray-3)', borderRadius: 8 }}
        >
          <Group justify="space-between">
            <Text fw={600}>{balance.pointType.name}</Text>
            <Text fw={700} fz="xl" data-testid="balance">
              {t('card.points', { points: format.points(balance.active) })}
            </Text>
          </Group>
          {balance.expiring.length === 0 ? (
            <Text size="sm" c="dimmed">
              {t('card.nothingExpiring')}
            </Text>
          ) : (
            balance.expiring.map((lot) => (
              <Text key={lot.date} size="sm" c="orange.9">
                {t('card.expiring', { points: format.points(lot.points), date: format.date(lot.date) })}
              </Text>
            ))
          )}
        </Stack>
      ))}
    </Stack>
  );
}

/** The card in the phone's wallet, where the server makes such cards; it updates itself after each visit. */
function WalletButtons() {
  const { t } = useTranslation('member');
  const wallets = useWallets().data;
  const google = useGoogleSaveLink();
  if (!wallets || (!wallets.apple && !wallets.google)) return null;
  return (
    <Stack gap="xs" mt="sm">
      {wallets.apple && (
        <Button component="a" href="/v1/me/passes/apple" variant="default" fullWidth>
          {t('card.addApple')}
        </Button>
      )}
      {wallets.google && (
        <Button
          variant="default"
          fullWidth
          loading={google.isPending}
          onClick={() =>
            google.mutate(undefined, {
              onSuccess: ({ saveUrl }) => {
                window.location.href = saveUrl;
              },
            })
          }
        >
          {t('card.addGoogle')}
        </Button>
      )}
      {google.isError && (
        <Text c="red.9" size="sm" role="alert">
          {google.error.message}
        </Text>
      )}
    </Stack>
  );
}
