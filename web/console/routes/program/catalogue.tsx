import { Badge, Button, Group, Modal, Stack, Table, Title } from '@mantine/core';
import type { UseQueryResult } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { permissionsOf, useMe } from '../../../shared/api/session.ts';
import { QueryView } from '../../../shared/layout/states.tsx';

export interface Column<T> {
  header: string;
  cell: (item: T) => ReactNode;
  align?: 'right';
}

interface CatalogueProps<T extends { id: string; name: string }> {
  title: string;
  empty: string;
  newLabel: string;
  editTitle: string;
  query: UseQueryResult<{ data: T[] }>;
  columns: Column<T>[];
  /** The create/edit form; calls `onDone` when saved or cancelled. */
  form: (item: T | undefined, onDone: () => void) => ReactNode;
  /** Buttons after "Edit" on each row (writers only). */
  actions?: (item: T) => ReactNode;
  modalSize?: string;
}

/**
 * A program catalogue page (tiers, rewards, point types, locations): the list, a "New" button and an
 * "Edit" button per row for those who may change the program, the form in a modal.
 */
export function Catalogue<T extends { id: string; name: string }>(props: CatalogueProps<T>) {
  const { t } = useTranslation();
  const can = permissionsOf(useMe());
  // null: closed; { item: undefined }: a new one; { item }: that one.
  const [editing, setEditing] = useState<{ item?: T } | null>(null);
  const close = () => setEditing(null);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          {props.title}
        </Title>
        {can.write && <Button onClick={() => setEditing({})}>{props.newLabel}</Button>}
      </Group>
      <QueryView query={props.query} isEmpty={(data) => data.data.length === 0} empty={props.empty}>
        {(data) => (
          <Table.ScrollContainer minWidth={480}>
            <Table striped aria-label={props.title}>
              <Table.Thead>
                <Table.Tr>
                  {props.columns.map((column) => (
                    <Table.Th key={column.header} ta={column.align}>
                      {column.header}
                    </Table.Th>
                  ))}
                  {can.write && <Table.Th />}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.data.map((item) => (
                  <Table.Tr key={item.id}>
                    {props.columns.map((column) => (
                      <Table.Td key={column.header} ta={column.align}>
                        {column.cell(item)}
                      </Table.Td>
                    ))}
                    {can.write && (
                      <Table.Td ta="right">
                        <Group gap="xs" justify="flex-end" wrap="nowrap">
                          <Button
                            size="xs"
                            variant="default"
                            onClick={() => setEditing({ item })}
                            aria-label={`${t('program.edit')}: ${item.name}`}
                          >
                            {t('program.edit')}
                          </Button>
                          {props.actions?.(item)}
                        </Group>
                      </Table.Td>
                    )}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryView>
      <Modal
        opened={editing !== null}
        onClose={close}
        closeButtonProps={{ 'aria-label': t('common.close') }}
        title={editing?.item ? props.editTitle : props.newLabel}
        size={props.modalSize}
      >
        {editing && props.form(editing.item, close)}
      </Modal>
    </Stack>
  );
}

export function ActiveBadge({ active }: { active: boolean }) {
  const { t } = useTranslation();
  return (
    <Badge variant="light" color={active ? 'teal' : 'gray'}>
      {active ? t('common.active') : t('common.inactive')}
    </Badge>
  );
}
