import { Alert, Button, Group, Skeleton, Stack, Text } from '@mantine/core';
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client.ts';

/** A skeleton of rows, the shape of the list or card that is loading. */
export function Loading({ rows = 4 }: { rows?: number }) {
  const { t } = useTranslation();
  return (
    <Stack gap="xs" aria-busy="true" aria-label={t('common.loading')}>
      {Array.from({ length: rows }, (_, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: placeholders have no identity
        <Skeleton key={index} height={28} radius="sm" />
      ))}
    </Stack>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useTranslation();
  const message = error instanceof Error ? error.message : String(error);
  return (
    <Alert color="red" title={t('common.error')} role="alert">
      <Text size="sm">{message}</Text>
      {onRetry && (
        <Button mt="sm" size="xs" variant="light" color="red" onClick={onRetry}>
          {t('common.retry')}
        </Button>
      )}
    </Alert>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <Text c="dimmed" py="lg" ta="center">
      {children}
    </Text>
  );
}

/**
 * One query's states, the same on every page: a skeleton while it loads, the error with a retry,
 * an empty state that says what to do, else the data.
 */
export function QueryView<T>({
  query,
  rows = 4,
  isEmpty,
  empty,
  children,
}: {
  query: UseQueryResult<T>;
  rows?: number;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <Loading rows={rows} />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  if (isEmpty?.(query.data)) return <Empty>{empty}</Empty>;
  return children(query.data);
}

/** Cursor pagination: the server hands the next cursor; "first page" goes back to the start. */
export function Pager({
  cursor,
  nextCursor,
  onChange,
}: {
  cursor: string | undefined;
  nextCursor: string | null | undefined;
  onChange: (cursor: string | undefined) => void;
}) {
  const { t } = useTranslation();
  if (!cursor && !nextCursor) return null;
  return (
    <Group justify="flex-end" mt="sm">
      <Button variant="default" size="xs" disabled={!cursor} onClick={() => onChange(undefined)}>
        {t('common.previous')}
      </Button>
      <Button
        variant="default"
        size="xs"
        disabled={!nextCursor}
        onClick={() => onChange(nextCursor ?? undefined)}
      >
        {t('common.next')}
      </Button>
    </Group>
  );
}

/**
 * The form-level message of a failed request. When every field the problem names is one of the
 * form's `fields`, each message shows next to its field instead (serverErrors) and not here.
 */
export function FormError({ error, fields = [] }: { error: unknown; fields?: readonly string[] }) {
  if (!error) return null;
  if (error instanceof ApiError && error.errors.length > 0) {
    const placed = Object.keys(error.fieldErrors()).every((field) => fields.includes(field));
    if (placed) return null;
  }
  const message = error instanceof Error ? error.message : String(error);
  return (
    <Alert color="red" role="alert" py="xs">
      {message}
    </Alert>
  );
}

/** Puts the server's problem+json field errors on the form's fields (`body.points` → `points`). */
export function serverErrors(
  form: { setErrors(errors: Record<string, string>): void },
  error: unknown,
): void {
  if (error instanceof ApiError) form.setErrors(error.fieldErrors());
}
