import { Anchor, Badge, Button, Group, Loader, Select, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type MemberStatus, useMembers } from '../../../shared/api/members.ts';
import { permissionsOf, useMe } from '../../../shared/api/session.ts';
import { Empty, ErrorState, Loading, Pager } from '../../../shared/layout/states.tsx';
import { useEnumLabel } from '../../use-labels.ts';

const STATUSES: MemberStatus[] = ['active', 'inactive', 'blocked'];

export function fullName(member: {
  firstName: string | null;
  lastName: string | null;
  email: string | null;
}) {
  return [member.firstName, member.lastName].filter(Boolean).join(' ') || member.email || '—';
}

/** Members: search as you type (each keystroke settles for 200 ms), paginated by the server's cursor. */
export function MemberListPage() {
  const label = useEnumLabel();
  const { t, i18n } = useTranslation();
  const can = permissionsOf(useMe());
  const [text, setText] = useState('');
  const [search] = useDebouncedValue(text, 200);
  const [cursor, setCursor] = useState<string | undefined>();
  const [status, setStatus] = useState<MemberStatus | null>(null);
  const members = useMembers(search, cursor, status ?? undefined);
  const rows = members.data?.data ?? [];
  return (
    <>
      <Group justify="space-between" mb="md">
        <Title order={1} size="h2">
          {t('members.title')}
        </Title>
        {can.write && (
          <Button component={Link} to="/members/import" variant="default">
            {t('imports.title')}
          </Button>
        )}
      </Group>
      <Group align="flex-end" mb="md" wrap="wrap">
        <TextInput
          label={t('members.search')}
          description={t('members.searchHelp')}
          type="search"
          value={text}
          onChange={(event) => {
            setText(event.currentTarget.value);
            setCursor(undefined);
          }}
          rightSection={members.isFetching ? <Loader size="xs" aria-label={t('common.loading')} /> : null}
          maw={480}
          style={{ flex: 1 }}
        />
        <Select
          label={t('members.status')}
          placeholder={t('members.anyStatus')}
          clearable
          w={200}
          data={STATUSES.map((value) => ({ value, label: label('status', value) }))}
          value={status}
          onChange={(value) => {
            setStatus(STATUSES.find((candidate) => candidate === value) ?? null);
            setCursor(undefined);
          }}
        />
      </Group>
      {members.isPending ? (
        <Loading rows={8} />
      ) : members.isError ? (
        <ErrorState error={members.error} onRetry={() => members.refetch()} />
      ) : rows.length === 0 ? (
        <Empty>{search || status ? t('members.empty') : t('members.emptyAll')}</Empty>
      ) : (
        <>
          <Table.ScrollContainer minWidth={640}>
            <Table striped highlightOnHover aria-label={t('members.title')}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('members.name')}</Table.Th>
                  <Table.Th>{t('members.contact')}</Table.Th>
                  <Table.Th>{t('members.card')}</Table.Th>
                  <Table.Th>{t('members.status')}</Table.Th>
                  <Table.Th>{t('members.joined')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((member) => (
                  <Table.Tr key={member.id}>
                    <Table.Td>
                      <Anchor
                        renderRoot={(props) => (
                          <Link {...props} to="/members/$memberId" params={{ memberId: member.id }} />
                        )}
                      >
                        {fullName(member)}
                      </Anchor>
                    </Table.Td>
                    <Table.Td style={{ overflowWrap: 'anywhere' }}>
                      <Text size="sm">{member.email ?? '—'}</Text>
                      {member.phone && (
                        <Text size="xs" c="dimmed">
                          {member.phone}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <code>{member.loyaltyCardNumber}</code>
                    </Table.Td>
                    <Table.Td miw={100}>
                      <Badge variant="light" color={member.status === 'active' ? 'teal' : 'gray'}>
                        {label('status', member.status)}
                      </Badge>
                    </Table.Td>
                    <Table.Td>{new Date(member.createdAt).toLocaleDateString(i18n.language)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Group justify="flex-end">
            <Pager cursor={cursor} nextCursor={members.data?.nextCursor} onChange={setCursor} />
          </Group>
        </>
      )}
    </>
  );
}
