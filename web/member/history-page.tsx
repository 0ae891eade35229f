import { Button, Group, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { ErrorState, Loading } from '../shared/layout/states.tsx';
import { type HistoryPage as Entries, useHistory } from './api.ts';
import { useFormat } from './format.ts';
import { Section } from './frame.tsx';

type Entry = Entries['data'][number];

/** Every points movement, newest first: visits (tickets), rewards, expiries… */
export function HistoryPage() {
  const { t } = useTranslation('member');
  const history = useHistory();
  const entries = history.data?.pages.flatMap((page) => page.data) ?? [];
  return (
    <Section title={t('history.title')}>
      {history.isPending ? (
        <Loading rows={5} />
      ) : history.isError ? (
        <ErrorState error={history.error} onRetry={() => history.refetch()} />
      ) : entries.length === 0 ? (
        <Text c="dimmed">{t('history.empty')}</Text>
      ) : (
        <Stack gap={0} component="ul" p={0} m={0} style={{ listStyle: 'none' }}>
          {entries.map((entry) => (
            <EntryRow key={entry.id} entry={entry} />
          ))}
        </Stack>
      )}
      {history.hasNextPage && (
        <Button
          variant="default"
          onClick={() => history.fetchNextPage()}
          loading={history.isFetchingNextPage}
        >
          {t('history.more')}
        </Button>
      )}
    </Section>
  );
}

function EntryRow({ entry }: { entry: Entry }) {
  const { t } = useTranslation('member');
  const format = useFormat();
  const what =
    entry.source?.type === 'transaction'
      ? t('history.ticket')
      : entry.source?.type === 'reward_claim' || entry.source?.type === 'redemption'
        ? t('history.reward')
        : entry.reason;
  return (
    <Group
      component="li"
      justify="space-between"
      wrap="nowrap"
      py="sm"
      style={{ borderBottom: '1px solid var(--mantine-color-gray-3)' }}
      data-testid="history-entry"
    >
      <Stack gap={0} miw={0}>
        <Text fw={600}>{t(`history.kind.${entry.kind}`, { defaultValue: entry.kind })}</Text>
        <Text size="sm" c="dimmed" truncate>
          {[format.date(entry.createdAt), what].filter(Boolean).join(' · ')}
        </Text>
      </Stack>
      <Text fw={700} c={entry.delta < 0 ? 'red.9' : undefined} style={{ whiteSpace: 'nowrap' }}>
        {entry.delta > 0 ? '+' : ''}
        {format.points(entry.delta)}
      </Text>
    </Group>
  );
}
