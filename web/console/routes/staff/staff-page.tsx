import {
  Alert,
  Badge,
  Button,
  Card,
  Code,
  Group,
  Select,
  Stack,
  Table,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useTranslation } from 'react-i18next';
import { type StaffUser, useChangeStaffRole, useInviteStaff, useStaff } from '../../../shared/api/access.ts';
import { FormError, QueryView, serverErrors } from '../../../shared/layout/states.tsx';
import { useEnumLabel } from '../../use-labels.ts';

const ROLES = ['owner', 'manager', 'analyst', 'cashier'] as const;

function InviteForm() {
  const { t } = useTranslation();
  const invite = useInviteStaff();
  const roles = ROLES.map((role) => ({ value: role, label: t(`staff.roles.${role}`) }));
  const form = useForm<{ email: string; name: string; role: StaffUser['role'] }>({
    initialValues: { email: '', name: '', role: 'manager' },
  });
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="sm">
        {t('staff.invite')}
      </Title>
      <form
        onSubmit={form.onSubmit((values) =>
          invite.mutate(
            { email: values.email, role: values.role, ...(values.name ? { name: values.name } : {}) },
            { onSuccess: () => form.reset(), onError: (error) => serverErrors(form, error) },
          ),
        )}
      >
        <Stack>
          <FormError error={invite.error} fields={['email', 'name', 'role']} />
          {invite.data && (
            <Alert color="green" role="status">
              {t('staff.invited', { email: invite.data.staff.email })}
              {invite.data.inviteLink && (
                <>
                  <br />
                  {t('staff.inviteLink')} <Code>{invite.data.inviteLink}</Code>
                </>
              )}
            </Alert>
          )}
          <Group grow align="flex-start">
            <TextInput label={t('staff.email')} type="email" required {...form.getInputProps('email')} />
            <TextInput label={t('staff.name')} {...form.getInputProps('name')} />
            <Select
              label={t('staff.role')}
              data={roles}
              allowDeselect={false}
              {...form.getInputProps('role')}
            />
          </Group>
          <Group justify="flex-end">
            <Button type="submit" loading={invite.isPending}>
              {t('staff.invite')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

/** Owners only (the route checks): the organization's staff, their roles, and invites. */
export function StaffPage() {
  const label = useEnumLabel();
  const { t } = useTranslation();
  const staff = useStaff();
  const changeRole = useChangeStaffRole();
  const roles = ROLES.map((role) => ({ value: role, label: t(`staff.roles.${role}`) }));
  return (
    <Stack>
      <Title order={1} size="h2">
        {t('staff.title')}
      </Title>
      <InviteForm />
      <FormError error={changeRole.error} />
      <QueryView query={staff} isEmpty={(data) => data.data.length === 0} empty={t('common.none')}>
        {(data) => (
          <Table.ScrollContainer minWidth={560}>
            <Table striped aria-label={t('staff.title')}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('staff.email')}</Table.Th>
                  <Table.Th>{t('staff.name')}</Table.Th>
                  <Table.Th>{t('staff.role')}</Table.Th>
                  <Table.Th>{t('staff.status')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.data.map((user) => (
                  <Table.Tr key={user.id}>
                    <Table.Td>{user.email}</Table.Td>
                    <Table.Td>{user.name ?? '—'}</Table.Td>
                    <Table.Td>
                      <Select
                        aria-label={`${t('staff.role')}: ${user.email}`}
                        size="xs"
                        w={150}
                        data={roles}
                        value={user.role}
                        allowDeselect={false}
                        onChange={(role) => {
                          const next = ROLES.find((candidate) => candidate === role);
                          if (next && next !== user.role) changeRole.mutate({ id: user.id, role: next });
                        }}
                      />
                    </Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={user.status === 'active' ? 'teal' : 'gray'}>
                        {label('status', user.status)}
                      </Badge>
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
