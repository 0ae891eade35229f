import { Anchor, Badge, Button, Group, Select, Stack, Table, Text, Title } from '@mantine/core';
import { Link, useParams } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  useDeliveries,
  useRetryDelivery,
  useWebhooks,
  type WebhookDeliveryStatus,
} from '../../../shared/api/access.ts';
import { FormError, Pager, QueryView } from '../../../shared/layout/states.tsx';
import { useEnumLabel } from '../../use-labels.ts';

const STATUSES = ['pending', 'delivering', 'delivered', 'dead'] as const;
const COLORS: Record<(typeof STATUSES)[number], string> = {
  pending: 'yellow',
  delivering: 'blue',
  delivered: 'teal',
  dead: 'red',
};

/**
 * One webhook endpoint's delivery log: each event sent, its status, attempts, the receiver's last
 * answer, and a retry for those that failed or wait.
 */
export function DeliveriesPage() {
  const { t, i18n } = useTranslation();
  const label = useEnumLabel();
  const endpointId = useParams({ strict: false }).endpointId ?? '';
  const endpoint = useWebhooks().data?.data.find((candidate) => candidate.id === endpointId);
  const [status, setStatus] = useState<WebhookDeliveryStatus>(undefined);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const deliveries = useDeliveries(endpointId, status, cursor);
  const retry = useRetryDelivery(endpointId);
  const when = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'short', timeStyle: 'medium' });
  return (
    <Stack>
      <Anchor component={Link} to="/integrations/webhooks" size="sm">
        ← {t('integrations.webhooksTitle')}
      </Anchor>
      <Title order={1} size="h2">
        {t('integrations.deliveriesTitle')}
      </Title>
      {endpoint && (
        <Text size="sm" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
          {endpoint.url}
        </Text>
      )}
      <Select
        label={t('members.status')}
        placeholder={t('members.anyStatus')}
        clearable
        w={220}
        data={STATUSES.map((value) => ({ value, label: label('deliveryStatus', value) }))}
        value={status ?? null}
        onChange={(value) => {
          setStatus(STATUSES.find((candidate) => candidate === value));
          setCursor(undefined);
        }}
      />
      <FormError error={retry.error} />
      <QueryView
        query={deliveries}
        isEmpty={(data) => data.data.length === 0}
        empty={t('integrations.noDeliveries')}
      >
        {(data) => (
          <>
            <Table.ScrollContainer minWidth={640}>
              <Table striped aria-label={t('integrations.deliveriesTitle')}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('integrations.event')}</Table.Th>
                    <Table.Th>{t('members.status')}</Table.Th>
                    <Table.Th ta="right">{t('integrations.attempts')}</Table.Th>
                    <Table.Th>{t('integrations.lastAnswer')}</Table.Th>
                    <Table.Th>{t('integrations.sentAt')}</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.data.map((delivery) => (
                    <Table.Tr key={delivery.id}>
                      <Table.Td>
                        <code>{delivery.eventType}</code>
                      </Table.Td>
                      <Table.Td>
                        <Badge variant="light" color={COLORS[delivery.status]}>
                          {label('deliveryStatus', delivery.status)}
                        </Badge>
                      </Table.Td>
                      <Table.Td ta="right">{delivery.attemptCount}</Table.Td>
                      <Table.Td style={{ overflowWrap: 'anywhere' }}>
                        {delivery.lastStatusCode ?? ''} {delivery.lastError ?? ''}
                        {delivery.nextAttemptAt && (
                          <Text size="xs" c="dimmed">
                            {t('integrations.nextAttempt', {
                              when: when.format(new Date(delivery.nextAttemptAt)),
                            })}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>{when.format(new Date(delivery.createdAt))}</Table.Td>
                      <Table.Td ta="right">
                        {(delivery.status === 'dead' || delivery.status === 'pending') && (
                          <Button
                            size="xs"
                            variant="default"
                            loading={retry.isPending && retry.variables === delivery.id}
                            onClick={() => retry.mutate(delivery.id)}
                          >
                            {t('integrations.retry')}
                          </Button>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <Group justify="flex-end">
              <Pager cursor={cursor} nextCursor={data.nextCursor} onChange={setCursor} />
            </Group>
          </>
        )}
      </QueryView>
    </Stack>
  );
}
