import { Alert, Badge, Button, Group, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { QueryView } from '../shared/layout/states.tsx';
import { type Rewards, useClaim, useCoupons, useRewards } from './api.ts';
import { useFormat } from './format.ts';
import { refusal } from './forms.ts';
import { Section } from './frame.tsx';

type Item = Rewards['data'][number];

/** What the member's points buy: each reward with its cost, claimable now or why not; their coupons. */
export function RewardsPage() {
  const { t, i18n } = useTranslation('member');
  const rewards = useRewards(i18n.language);
  const coupons = useCoupons();
  const claim = useClaim();
  const format = useFormat();
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const nameOf = (rewardId: string, fallback: string) =>
    rewards.data?.data.find((item) => item.reward.id === rewardId)?.name ?? fallback;
  // Points missing are said in the member's language; other reasons in the engine's words.
  const whyNot = (item: Item, balances: Rewards['balances']) =>
    item.reasons
      .map((reason) => {
        if (reason.code !== 'insufficient_points') return reason.message;
        const has = balances.find((balance) => balance.pointTypeId === item.pointTypeId)?.points ?? 0;
        return t('rewards.missing', { points: format.points(item.pointsRequired - has) });
      })
      .join('; ');

  const claimIt = (item: Item) =>
    claim.mutate(item.reward.id, {
      onSuccess: (result) =>
        setMessage({
          ok: true,
          text: t('rewards.claimed', { name: item.name, code: result.coupons[0]?.code ?? '' }),
        }),
      onError: (error) => setMessage({ ok: false, text: refusal(error, []).other ?? String(error) }),
    });

  return (
    <Stack gap="lg">
      <Section title={t('rewards.title')}>
        {message && (
          <Alert color={message.ok ? 'green' : 'red'} role={message.ok ? 'status' : 'alert'}>
            {message.text}
          </Alert>
        )}
        <QueryView
          query={rewards}
          rows={3}
          isEmpty={(data) => data.data.length === 0}
          empty={t('rewards.empty')}
        >
          {(data) => (
            <Stack gap="sm">
              <Text fw={600} data-testid="rewards-balance">
                {t('rewards.balance', { points: format.points(data.balances[0]?.points ?? 0) })}
              </Text>
              {data.data.map((item) => (
                <Stack
                  key={item.reward.id}
                  gap={6}
                  p="sm"
                  style={{ border: '1px solid var(--mantine-color-gray-3)', borderRadius: 8 }}
                >
                  <Group justify="space-between" wrap="nowrap" align="flex-start">
                    <Title order={3} size="h4">
                      {item.name}
                    </Title>
                    <Badge variant="outline" style={{ flexShrink: 0 }}>
                      {t('rewards.cost', { points: format.points(item.pointsRequired) })}
                    </Badge>
                  </Group>
                  {item.description && <Text size="sm">{item.description}</Text>}
                  {item.canRedeem ? (
                    <Button
                      onClick={() => claimIt(item)}
                      loading={claim.isPending && claim.variables === item.reward.id}
                      aria-label={`${t('rewards.claim')}: ${item.name}`}
                    >
                      {t('rewards.claim')}
                    </Button>
                  ) : (
                    <Text size="sm" c="dimmed">
                      {t('rewards.notNow')}: {whyNot(item, data.balances)}
                    </Text>
                  )}
                </Stack>
              ))}
            </Stack>
          )}
        </QueryView>
      </Section>
      <QueryView query={coupons} rows={1}>
        {(data) =>
          data.data.length > 0 && (
            <Stack gap="xs">
              <Title order={2} size="h3">
                {t('rewards.coupons')}
              </Title>
              {data.data.map((coupon) => (
                <Group
                  key={coupon.id}
                  justify="space-between"
                  p="sm"
                  style={{ border: '1px dashed var(--mantine-color-gray-5)', borderRadius: 8 }}
                >
                  <Stack gap={0}>
                    <Text fw={600}>{nameOf(coupon.rewardId, coupon.rewardName)}</Text>
                    {coupon.expiresAt && (
                      <Text size="sm" c="dimmed">
                        {t('rewards.expires', { date: format.date(coupon.expiresAt) })}
                      </Text>
                    )}
                  </Stack>
                  <Text ff="monospace" fw={700}>
                    {coupon.code}
                  </Text>
                </Group>
              ))}
            </Stack>
          )
        }
      </QueryView>
    </Stack>
  );
}
