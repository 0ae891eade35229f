import {
  Alert,
  Badge,
  Button,
  Card,
  Checkbox,
  Code,
  CopyButton,
  Group,
  Stack,
  Table,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { Link } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import {
  type NewApiKey,
  useApiKeys,
  useCreateApiKey,
  useCreateWebhook,
  useDeleteWebhook,
  useRevokeApiKey,
  useWebhooks,
} from '../../../shared/api/access.ts';
import { FormError, QueryView, serverErrors } from '../../../shared/layout/states.tsx';

type Scope = NonNullable<NewApiKey['scopes']>[number];
const SCOPES: Scope[] = ['till', 'integration', 'read', 'admin'];

/** A secret the server shows once: copy it now. */
function ShownOnce({ label, secret }: { label: string; secret: string }) {
  const { t } = useTranslation();
  return (
    <Alert color="yellow" role="status" title={label}>
      <Group gap="sm" wrap="nowrap">
        <Code data-testid="secret" style={{ wordBreak: 'break-all' }}>
          {secret}
        </Code>
        <CopyButton value={secret}>
          {({ copied, copy }) => (
            <Button size="xs" variant="light" onClick={copy}>
              {copied ? t('common.copied') : t('common.copy')}
            </Button>
          )}
        </CopyButton>
      </Group>
    </Alert>
  );
}

export function ApiKeysPage() {
  const { t, i18n } = useTranslation();
  const keys = useApiKeys();
  const create = useCreateApiKey();
  const revoke = useRevokeApiKey();
  const form = useForm<{ name: string; scopes: Scope[] }>({ initialValues: { name: '', scopes: ['till'] } });
  const date = (value: string | null) => (value ? new Date(value).toLocaleString(i18n.language) : '—');
  return (
    <Stack>
      <Title order={1} size="h2">
        {t('integrations.keysTitle')}
      </Title>
      <Card withBorder>
        <form
          onSubmit={form.onSubmit((values) =>
            create.mutate(
              { scopes: values.scopes, ...(values.name ? { name: values.name } : {}) },
              { onSuccess: () => form.reset(), onError: (error) => serverErrors(form, error) },
            ),
          )}
        >
          <Stack>
            <FormError error={create.error} fields={['name', 'scopes']} />
            {create.data && <ShownOnce label={t('integrations.shownOnce')} secret={create.data.key} />}
            <TextInput label={t('integrations.keyName')} {...form.getInputProps('name')} />
            <Checkbox.Group label={t('integrations.scopes')} {...form.getInputProps('scopes')}>
              <Group mt={4}>
                {SCOPES.map((scope) => (
                  <Checkbox key={scope} value={scope} label={scope} />
                ))}
              </Group>
            </Checkbox.Group>
            <Group justify="flex-end">
              <Button type="submit" loading={create.isPending}>
                {t('integrations.newKey')}
              </Button>
            </Group>
          </Stack>
        </form>
      </Card>
      <FormError error={revoke.error} />
      <QueryView query={keys} isEmpty={(data) => data.data.length === 0} empty={t('integrations.noKeys')}>
        {(data) => (
          <Table.ScrollContainer minWidth={640}>
            <Table striped aria-label={t('integrations.keysTitle')}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('integrations.keyName')}</Table.Th>
                  <Table.Th>{t('integrations.prefix')}</Table.Th>
                  <Table.Th>{t('integrations.scopes')}</Table.Th>
                  <Table.Th>{t('integrations.created')}</Table.Th>
                  <Table.Th>{t('integrations.lastUsed')}</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.data.map((key) => (
                  <Table.Tr key={key.id}>
                    <Table.Td>{key.name ?? '—'}</Table.Td>
                    <Table.Td>
                      <code>{key.prefix}…</code>
                    </Table.Td>
                    <Table.Td>{key.scopes.join(', ')}</Table.Td>
                    <Table.Td>{date(key.createdAt)}</Table.Td>
                    <Table.Td>{date(key.lastUsedAt)}</Table.Td>
                    <Table.Td ta="right">
                      {key.revokedAt ? (
                        <Badge color="gray">{t('integrations.revoked')}</Badge>
                      ) : (
                        <Button
                          size="xs"
                          color="red"
                          variant="light"
                          onClick={() =>
                            window.confirm(t('integrations.revokeConfirm')) && revoke.mutate(key.id)
                          }
                        >
                          {t('integrations.revoke')}
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryView>
    </Stack>
  );
}

export function WebhooksPage() {
  const { t } = useTranslation();
  const endpoints = useWebhooks();
  const create = useCreateWebhook();
  const remove = useDeleteWebhook();
  const form = useForm({ initialValues: { url: '', eventTypes: '*' } });
  return (
    <Stack>
      <Title order={1} size="h2">
        {t('integrations.webhooksTitle')}
      </Title>
      <Card withBorder>
        <form
          onSubmit={form.onSubmit((values) =>
            create.mutate(
              {
                url: values.url,
                eventTypes: values.eventTypes
                  .split(',')
                  .map((type) => type.trim())
                  .filter(Boolean),
              },
              { onSuccess: () => form.reset(), onError: (error) => serverErrors(form, error) },
            ),
          )}
        >
          <Stack>
            <FormError error={create.error} fields={['url', 'eventTypes']} />
            {create.data && 'secret' in create.data && typeof create.data.secret === 'string' && (
              <ShownOnce label={t('integrations.secretOnce')} secret={create.data.secret} />
            )}
            <TextInput label={t('integrations.url')} type="url" required {...form.getInputProps('url')} />
            <TextInput
              label={t('integrations.events')}
              description={t('integrations.eventsHelp')}
              {...form.getInputProps('eventTypes')}
            />
            <Group justify="flex-end">
              <Button type="submit" loading={create.isPending}>
                {t('integrations.newWebhook')}
              </Button>
            </Group>
          </Stack>
        </form>
      </Card>
      <FormError error={remove.error} />
      <QueryView
        query={endpoints}
        isEmpty={(data) => data.data.length === 0}
        empty={t('integrations.noWebhooks')}
      >
        {(data) => (
          <Table.ScrollContainer minWidth={560}>
            <Table striped aria-label={t('integrations.webhooksTitle')}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('integrations.url')}</Table.Th>
                  <Table.Th>{t('integrations.events')}</Table.Th>
                  <Table.Th>{t('integrations.enabled')}</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.data.map((endpoint) => (
                  <Table.Tr key={endpoint.id}>
                    <Table.Td style={{ wordBreak: 'break-all' }}>{endpoint.url}</Table.Td>
                    <Table.Td>{endpoint.eventTypes.join(', ')}</Table.Td>
                    <Table.Td>{endpoint.enabled ? t('common.yes') : t('common.no')}</Table.Td>
                    <Table.Td ta="right">
                      <Group gap="xs" justify="flex-end" wrap="nowrap">
                        <Button
                          size="xs"
                          variant="default"
                          renderRoot={(props) => (
                            <Link
                              {...props}
                              to="/integrations/webhooks/$endpointId"
                              params={{ endpointId: endpoint.id }}
                            />
                          )}
                        >
                          {t('integrations.deliveries')}
                        </Button>
                        <Button
                          size="xs"
                          color="red"
                          variant="light"
                          onClick={() => remove.mutate(endpoint.id)}
                        >
                          {t('integrations.remove')}
                        </Button>
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryView>
    </Stack>
  );
}
