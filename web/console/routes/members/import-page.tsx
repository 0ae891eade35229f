import {
  Alert,
  Anchor,
  Button,
  Card,
  FileInput,
  Group,
  Progress,
  SegmentedControl,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api, csrfToken, unwrap } from '../../../shared/api/client.ts';
import type { paths } from '../../../shared/api/schema.ts';
import { ErrorState } from '../../../shared/layout/states.tsx';
import { useEnumLabel } from '../../use-labels.ts';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
type CustomerImport = Json<paths['/v1/customer-imports/{id}']['get']['responses'][200]>;
type Mode = 'create' | 'upsert';

/** Member rows in a CSV: its non-blank lines after the header (quoted line breaks are rare in member files). */
function countRows(text: string): number {
  return Math.max(0, text.split(/\r?\n/).filter((line) => line.trim() !== '').length - 1);
}

/** Every import of the organization (the list is oldest first, a page at a time). */
async function allImports(): Promise<CustomerImport[]> {
  const jobs: CustomerImport[] = [];
  let cursor: string | undefined;
  do {
    const page = unwrap(
      await api.GET('/v1/customer-imports', {
        params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } },
      }),
    );
    jobs.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return jobs;
}

/**
 * CSV member import: the upload is streamed to POST /v1/customers/import, which answers when the file is
 * read; meanwhile the running job (GET /v1/customer-imports) moves the progress bar.
 */
export function ImportPage() {
  const { t, i18n } = useTranslation();
  const label = useEnumLabel();
  const client = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [mode, setMode] = useState<Mode>('create');
  const [total, setTotal] = useState(0);
  const [job, setJob] = useState<CustomerImport | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const polling = useRef<number | undefined>(undefined);
  const count = new Intl.NumberFormat(i18n.language);

  async function start() {
    if (!file) return;
    const text = await file.text();
    setTotal(countRows(text));
    setJob(null);
    setError(null);
    setRunning(true);
    const known = new Set((await allImports()).map((existing) => existing.id));
    // The new job is found once in the list; after that only that job is read.
    let fresh: CustomerImport | undefined;
    const poll = async () => {
      fresh = fresh
        ? unwrap(await api.GET('/v1/customer-imports/{id}', { params: { path: { id: fresh.id } } }))
        : (await allImports()).find((candidate) => !known.has(candidate.id));
      if (fresh && polling.current !== undefined) setJob(fresh);
    };
    polling.current = window.setInterval(() => void poll().catch(() => undefined), 500);
    try {
      const token = csrfToken();
      const response = await fetch(`/v1/customers/import?mode=${mode}`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: {
          'content-type': 'text/csv',
          // Recorded with the job: a replay of this very request (a retry after a lost answer) imports nothing twice.
          'idempotency-key': crypto.randomUUID(),
          ...(token ? { 'x-csrf-token': token } : {}),
        },
        body: text,
      });
      const body: unknown = await response.json().catch(() => null);
      if (!response.ok) throw new ApiError(response.status, body);
      window.clearInterval(polling.current);
      polling.current = undefined;
      setJob(body as CustomerImport);
      void client.invalidateQueries({ queryKey: ['members'] });
    } catch (failure) {
      setError(failure);
    } finally {
      window.clearInterval(polling.current);
      polling.current = undefined;
      setRunning(false);
    }
  }

  const done = job && job.status !== 'running';
  const percent = done ? 100 : total > 0 && job ? Math.min(99, Math.floor((job.rowsRead * 100) / total)) : 0;
  return (
    <Stack>
      <Anchor component={Link} to="/members" size="sm">
        ← {t('members.back')}
      </Anchor>
      <Title order={1} size="h2">
        {t('imports.title')}
      </Title>
      <Card withBorder maw={640}>
        <Stack>
          <Text size="sm">{t('imports.help')}</Text>
          <FileInput label={t('imports.file')} accept=".csv,text/csv" value={file} onChange={setFile} />
          <div>
            <Text size="sm" fw={500} mb={4} id="import-mode">
              {t('imports.mode')}
            </Text>
            <SegmentedControl
              aria-labelledby="import-mode"
              value={mode}
              onChange={(value) => setMode(value as Mode)}
              data={[
                { value: 'create', label: t('imports.create') },
                { value: 'upsert', label: t('imports.upsert') },
              ]}
            />
          </div>
          <Group justify="flex-end">
            <Button onClick={() => void start()} disabled={!file} loading={running}>
              {t('imports.start')}
            </Button>
          </Group>
        </Stack>
      </Card>
      {error !== null && <ErrorState error={error} />}
      {(running || job) && (
        <Card withBorder maw={640}>
          <Stack gap="xs">
            <Group justify="space-between">
              <Text fw={600}>{job ? label('status', job.status) : t('imports.uploading')}</Text>
              <Text size="sm" data-testid="import-progress-text">
                {t('imports.progress', {
                  read: count.format(job?.rowsRead ?? 0),
                  total: count.format(total),
                  percent,
                })}
              </Text>
            </Group>
            <Progress
              value={percent}
              size="lg"
              animated={!done}
              aria-label={t('imports.title')}
              color={job?.status === 'failed' ? 'red' : 'teal'}
            />
            {done && (
              <Text size="sm" data-testid="import-summary" role="status">
                {t('imports.summary', {
                  created: count.format(job.created),
                  updated: count.format(job.updated),
                  unchanged: count.format(job.unchanged),
                  failed: count.format(job.failed),
                })}
              </Text>
            )}
            {job?.failure && <Alert color="red">{job.failure}</Alert>}
            {done && job.errors.length > 0 && (
              <>
                <Table.ScrollContainer minWidth={420}>
                  <Table striped aria-label={t('imports.errors')}>
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>{t('imports.row')}</Table.Th>
                        <Table.Th>{t('imports.field')}</Table.Th>
                        <Table.Th>{t('imports.reason')}</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {job.errors.map((rowError) => (
                        <Table.Tr key={`${rowError.row}-${rowError.field ?? ''}`}>
                          <Table.Td>{rowError.row}</Table.Td>
                          <Table.Td>{rowError.field ?? '—'}</Table.Td>
                          <Table.Td>{rowError.reason}</Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
                <Anchor href={`/v1/customer-imports/${encodeURIComponent(job.id)}/errors.csv`} download>
                  {t('imports.download', { count: job.failed })}
                </Anchor>
              </>
            )}
          </Stack>
        </Card>
      )}
    </Stack>
  );
}
