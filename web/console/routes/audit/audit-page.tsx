import { Code, Group, Stack, Table, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useAuditLog } from '../../../shared/api/access.ts';
import { Pager, QueryView } from '../../../shared/layout/states.tsx';

/** GET /v1/audit-log, newest first, filtered by action and subject type. */
export function AuditPage() {
  const { t, i18n } = useTranslation();
  const [action, setAction] = useState('');
  const [subjectType, setSubjectType] = useState('');
  const [filters] = useDebouncedValue({ action, subjectType }, 250);
  const [cursor, setCursor] = useState<string | undefined>();
  const log = useAuditLog(
    {
      ...(filters.action ? { action: filters.action } : {}),
      ...(filters.subjectType ? { subjectType: filters.subjectType } : {}),
    },
    cursor,
  );
  return (
    <Stack>
      <Title order={1} size="h2">
        {t('audit.title')}
      </Title>
      <Group>
        <TextInput
          label={t('audit.filterAction')}
          placeholder="staff.invited"
          value={action}
          onChange={(event) => {
            setAction(event.currentTarget.value);
            setCursor(undefined);
          }}
        />
        <TextInput
          label={t('audit.filterSubject')}
          placeholder="customer"
          value={subjectType}
          onChange={(event) => {
            setSubjectType(event.currentTarget.value);
            setCursor(undefined);
          }}
        />
      </Group>
      <QueryView query={log} rows={8} isEmpty={(data) => data.data.length === 0} empty={t('audit.empty')}>
        {(data) => (
          <>
            <Table.ScrollContainer minWidth={640}>
              <Table striped aria-label={t('audit.title')}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('audit.when')}</Table.Th>
                    <Table.Th>{t('audit.actor')}</Table.Th>
                    <Table.Th>{t('audit.action')}</Table.Th>
                    <Table.Th>{t('audit.subject')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.data.map((entry) => (
                    <Table.Tr key={entry.id}>
                      <Table.Td>{new Date(entry.occurredAt).toLocaleString(i18n.language)}</Table.Td>
                      <Table.Td>
                        {entry.actor.type}
                        {entry.actor.id ? <Code ml={4}>{entry.actor.id.slice(0, 8)}</Code> : null}
                      </Table.Td>
                      <Table.Td>
                        <Code>{entry.action}</Code>
                      </Table.Td>
                      <Table.Td>
                        {entry.subject.type} <Code>{entry.subject.id.slice(0, 8)}</Code>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <Pager cursor={cursor} nextCursor={data.nextCursor} onChange={setCursor} />
          </>
        )}
      </QueryView>
    </Stack>
  );
}
