import { Button, Group, NumberInput, Stack, Switch, TagsInput, Textarea, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { type NewTier, type Tier, useSaveTier } from '../../../shared/api/program.ts';
import { organizationQuery } from '../../../shared/api/session.ts';
import { useMoney } from '../../../shared/i18n/use-money.ts';
import { FormError, serverErrors } from '../../../shared/layout/states.tsx';

/** Tier thresholds are money (minor units) on the spent bases, points on the others. */
export function useTierBasis() {
  const organization = useQuery(organizationQuery);
  // The server's default basis when the organization never chose one.
  const basis = organization.data?.settings?.tierBasis ?? 'total_spent';
  return { basis, inMoney: basis === 'total_spent' || basis === 'spent_in_window' };
}

interface TierValues {
  name: string;
  /** Money as typed (spent bases) or points. */
  conditionValue: string | number;
  earningMultiplier: string | number;
  discountPercent: string | number;
  perks: string[];
  description: string;
  active: boolean;
}

const FIELDS = ['name', 'conditionValue', 'earningMultiplier', 'discountPercent', 'perks', 'description'];

/** Create a tier, or change one: every field the API takes, the threshold in the program's basis. */
export function TierForm({ tier, onDone }: { tier?: Tier; onDone: () => void }) {
  const { t } = useTranslation();
  const save = useSaveTier();
  const money = useMoney();
  const { inMoney } = useTierBasis();
  const form = useForm<TierValues>({
    initialValues: {
      name: tier?.name ?? '',
      conditionValue: tier ? (inMoney ? money.toInput(tier.conditionValue) : tier.conditionValue) : '',
      earningMultiplier: tier?.earningMultiplier ?? 1,
      discountPercent: tier?.discountPercent ?? 0,
      perks: tier?.perks ?? [],
      description: tier?.description ?? '',
      active: tier?.active ?? true,
    },
    validate: {
      conditionValue: (value) => (threshold(value) === null ? t('program.badThreshold') : null),
    },
  });

  function threshold(value: string | number): number | null {
    if (inMoney) return money.parse(String(value));
    return value === '' ? null : Number(value);
  }

  function submit(values: TierValues) {
    const body: NewTier = {
      name: values.name.trim(),
      conditionValue: threshold(values.conditionValue) ?? 0,
      earningMultiplier: Number(values.earningMultiplier),
      discountPercent: Number(values.discountPercent),
      perks: values.perks,
      description: values.description.trim() === '' ? null : values.description,
      active: values.active,
    };
    save.mutate({ id: tier?.id, body }, { onSuccess: onDone, onError: (error) => serverErrors(form, error) });
  }

  return (
    <form onSubmit={form.onSubmit(submit)}>
      <Stack>
        <FormError error={save.error} fields={FIELDS} />
        <TextInput label={t('program.ruleName')} required {...form.getInputProps('name')} />
        {inMoney ? (
          <TextInput
            label={t('program.thresholdMoney', { currency: money.currency })}
            inputMode="decimal"
            required
            {...form.getInputProps('conditionValue')}
          />
        ) : (
          <NumberInput
            label={t('program.thresholdPoints')}
            min={0}
            decimalScale={2}
            required
            {...form.getInputProps('conditionValue')}
          />
        )}
        <Group grow>
          <NumberInput
            label={t('program.multiplier')}
            min={1}
            max={100}
            decimalScale={2}
            {...form.getInputProps('earningMultiplier')}
          />
          <NumberInput
            label={t('program.discountPercent')}
            min={0}
            max={100}
            decimalScale={2}
            {...form.getInputProps('discountPercent')}
          />
        </Group>
        <TagsInput
          label={t('program.perks')}
          description={t('program.perksHelp')}
          {...form.getInputProps('perks')}
        />
        <Textarea
          label={t('program.description')}
          autosize
          minRows={2}
          {...form.getInputProps('description')}
        />
        <Switch label={t('common.active')} {...form.getInputProps('active', { type: 'checkbox' })} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={save.isPending}>
            {tier ? t('common.save') : t('common.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
