import {
  Badge,
  Button,
  Card,
  Group,
  NumberInput,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useTranslation } from 'react-i18next';
import {
  useCreateEarningRule,
  useEarningRules,
  useSetRuleActive,
  useSimulate,
} from '../../../shared/api/program.ts';
import { permissionsOf, useMe } from '../../../shared/api/session.ts';
import { useMoney } from '../../../shared/i18n/use-money.ts';
import { FormError, QueryView, serverErrors } from '../../../shared/layout/states.tsx';
import { useEnumLabel } from '../../use-labels.ts';

/** A spend rule ("N points per currency unit, from a minimum order"), the rule most programs start with. */
function NewSpendRule() {
  const { t } = useTranslation();
  const create = useCreateEarningRule();
  const money = useMoney();
  const form = useForm<{ name: string; pointsPerUnit: number | string; minimumOrder: string }>({
    initialValues: { name: '', pointsPerUnit: 1, minimumOrder: '' },
    validate: {
      minimumOrder: (value) =>
        value.trim() === '' || money.parse(value) !== null ? null : t('common.badAmount'),
    },
  });
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="sm">
        {t('program.newRule')}
      </Title>
      <form
        onSubmit={form.onSubmit((values) =>
          create.mutate(
            {
              name: values.name,
              type: 'spend',
              config: {
                pointsPerUnit: values.pointsPerUnit,
                ...(values.minimumOrder.trim() !== ''
                  ? { minimumOrder: money.parse(values.minimumOrder) ?? 0 }
                  : {}),
              },
            },
            {
              onSuccess: () => form.reset(),
              // Config errors come back as `body.config.pointsPerUnit`: shown on that field.
              onError: (error) => {
                serverErrors(form, error);
                const errors = form.errors;
                for (const key of Object.keys(errors)) {
                  if (key.startsWith('config.')) form.setFieldError(key.slice('config.'.length), errors[key]);
                }
              },
            },
          ),
        )}
      >
        <Stack>
          <FormError error={create.error} fields={['name', 'config.pointsPerUnit', 'config.minimumOrder']} />
          <TextInput label={t('program.ruleName')} required {...form.getInputProps('name')} />
          <NumberInput
            label={t('program.pointsPerUnit')}
            decimalScale={2}
            min={0}
            {...form.getInputProps('pointsPerUnit')}
          />
          <TextInput
            label={t('program.minimumOrder', { currency: money.currency })}
            inputMode="decimal"
            {...form.getInputProps('minimumOrder')}
          />
          <Group justify="flex-end">
            <Button type="submit" loading={create.isPending}>
              {t('common.create')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

/** A sample ticket through POST /v1/transactions/simulate: the breakdown rule by rule, nothing written. */
function Simulator() {
  const { t, i18n } = useTranslation();
  const simulate = useSimulate();
  const money = useMoney();
  const form = useForm<{ total: string; card: string }>({
    initialValues: { total: money.toInput(2500), card: '' },
    validate: { total: (value) => (money.parse(value) !== null ? null : t('common.badAmount')) },
  });
  const format = new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 2 });
  return (
    <Card withBorder>
      <Title order={2} size="h4">
        {t('program.simulate')}
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        {t('program.simulateHelp')}
      </Text>
      <form
        onSubmit={form.onSubmit((values) => {
          const total = money.parse(values.total) ?? 0;
          simulate.mutate(
            {
              documentNumber: `SIM-${Date.now()}`,
              totals: { total },
              lines: [{ total, name: 'Sample' }],
              ...(values.card ? { customer: { loyaltyCardNumber: values.card } } : {}),
            },
            {
              onError: (error) => {
                serverErrors(form, error);
                const total = form.errors['totals.total'];
                if (total) form.setFieldError('total', total);
              },
            },
          );
        })}
      >
        <Stack>
          <FormError error={simulate.error} fields={['totals.total']} />
          <TextInput
            label={t('program.ticketTotal', { currency: money.currency })}
            inputMode="decimal"
            {...form.getInputProps('total')}
          />
          <TextInput label={t('program.card')} {...form.getInputProps('card')} />
          <Group justify="flex-end">
            <Button type="submit" variant="light" loading={simulate.isPending}>
              {t('program.run')}
            </Button>
          </Group>
        </Stack>
      </form>
      {simulate.data && (
        <Stack gap={4} mt="sm" role="status">
          <Text fw={700} data-testid="simulation-total">
            {t('program.earned', { points: format.format(simulate.data.pointsEarned) })}
          </Text>
          {simulate.data.breakdown.map((line) => (
            <Text key={`${line.ruleId}-${line.lineId ?? ''}`} size="sm">
              {line.ruleName}: {format.format(line.points)}
            </Text>
          ))}
        </Stack>
      )}
    </Card>
  );
}

export function RulesPage() {
  const label = useEnumLabel();
  const { t } = useTranslation();
  const me = useMe();
  const rules = useEarningRules();
  const setActive = useSetRuleActive();
  const can = permissionsOf(me);
  return (
    <Stack>
      <Title order={1} size="h2">
        {t('program.rulesTitle')}
      </Title>
      <QueryView query={rules} isEmpty={(data) => data.data.length === 0} empty={t('program.noRules')}>
        {(data) => (
          <Table.ScrollContainer minWidth={480}>
            <Table striped aria-label={t('program.rulesTitle')}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('program.ruleName')}</Table.Th>
                  <Table.Th>{t('program.ruleType')}</Table.Th>
                  <Table.Th>{t('members.status')}</Table.Th>
                  {can.write && <Table.Th />}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.data.map((rule) => (
                  <Table.Tr key={rule.id}>
                    <Table.Td>{rule.name}</Table.Td>
                    <Table.Td>{label('ruleType', rule.type)}</Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={rule.active ? 'teal' : 'gray'}>
                        {rule.active ? t('common.active') : t('common.inactive')}
                      </Badge>
                    </Table.Td>
                    {can.write && (
                      <Table.Td ta="right">
                        <Button
                          size="xs"
                          variant="default"
                          onClick={() => setActive.mutate({ id: rule.id, active: !rule.active })}
                        >
                          {rule.active ? t('program.deactivate') : t('program.activate')}
                        </Button>
                      </Table.Td>
                    )}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryView>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        {can.write && <NewSpendRule />}
        <Simulator />
      </SimpleGrid>
    </Stack>
  );
}
