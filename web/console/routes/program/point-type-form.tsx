import { Button, Group, NumberInput, Stack, Switch, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useTranslation } from 'react-i18next';
import { type NewPointType, type PointType, useSavePointType } from '../../../shared/api/program.ts';
import { useMoney } from '../../../shared/i18n/use-money.ts';
import { FormError, serverErrors } from '../../../shared/layout/states.tsx';

interface PointTypeValues {
  name: string;
  code: string;
  /** Empty: points never expire. */
  expiresAfterDays: string | number;
  pendingDays: string | number;
  /** Money as typed; empty: no value set. */
  valuePerThousandPoints: string;
  active: boolean;
  isDefault: boolean;
}

const FIELDS = ['name', 'code', 'expiresAfterDays', 'pendingDays', 'valuePerThousandPoints', 'isDefault'];

/** Create a point type, or change one: its expiry, its pending days, and what 1,000 points are worth. */
export function PointTypeForm({ pointType, onDone }: { pointType?: PointType; onDone: () => void }) {
  const { t } = useTranslation();
  const save = useSavePointType();
  const money = useMoney();
  const form = useForm<PointTypeValues>({
    initialValues: {
      name: pointType?.name ?? '',
      code: pointType?.code ?? '',
      expiresAfterDays: pointType?.expiresAfterDays ?? '',
      pendingDays: pointType?.pendingDays ?? 0,
      valuePerThousandPoints:
        pointType?.valuePerThousandPoints == null ? '' : money.toInput(pointType.valuePerThousandPoints),
      active: pointType?.active ?? true,
      isDefault: pointType?.isDefault ?? false,
    },
    validate: {
      valuePerThousandPoints: (value) =>
        value.trim() === '' || money.parse(value) !== null ? null : t('common.badAmount'),
    },
  });

  function submit(values: PointTypeValues) {
    const body: NewPointType = {
      name: values.name.trim(),
      code: values.code.trim(),
      expiresAfterDays: values.expiresAfterDays === '' ? null : Number(values.expiresAfterDays),
      pendingDays: Number(values.pendingDays),
      valuePerThousandPoints:
        values.valuePerThousandPoints.trim() === '' ? null : money.parse(values.valuePerThousandPoints),
      active: values.active,
      // The default moves only by naming a new one: turning it off on the default answers 422.
      ...(values.isDefault || pointType?.isDefault ? { isDefault: values.isDefault } : {}),
    };
    save.mutate(
      { id: pointType?.id, body },
      { onSuccess: onDone, onError: (error) => serverErrors(form, error) },
    );
  }

  return (
    <form onSubmit={form.onSubmit(submit)}>
      <Stack>
        <FormError error={save.error} fields={FIELDS} />
        <Group grow align="flex-start">
          <TextInput label={t('program.ruleName')} required {...form.getInputProps('name')} />
          <TextInput
            label={t('program.code')}
            description={t('program.codeHelp')}
            required
            {...form.getInputProps('code')}
          />
        </Group>
        <Group grow align="flex-start">
          <NumberInput
            label={t('program.expiresAfterDays')}
            description={t('program.expiresAfterDaysHelp')}
            min={1}
            allowDecimal={false}
            {...form.getInputProps('expiresAfterDays')}
          />
          <NumberInput
            label={t('program.pendingDays')}
            description={t('program.pendingDaysHelp')}
            min={0}
            allowDecimal={false}
            {...form.getInputProps('pendingDays')}
          />
        </Group>
        <TextInput
          label={t('program.valuePerThousand', { currency: money.currency })}
          description={t('program.valuePerThousandHelp')}
          inputMode="decimal"
          {...form.getInputProps('valuePerThousandPoints')}
        />
        <Group>
          <Switch label={t('common.active')} {...form.getInputProps('active', { type: 'checkbox' })} />
          <Switch label={t('program.default')} {...form.getInputProps('isDefault', { type: 'checkbox' })} />
        </Group>
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={save.isPending}>
            {pointType ? t('common.save') : t('common.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
