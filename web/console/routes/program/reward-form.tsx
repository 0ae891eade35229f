import {
  Button,
  Group,
  NumberInput,
  Select,
  Stack,
  TagsInput,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useTranslation } from 'react-i18next';
import { type NewReward, type Reward, useSaveReward } from '../../../shared/api/program.ts';
import { useMoney } from '../../../shared/i18n/use-money.ts';
import { FormError, serverErrors } from '../../../shared/layout/states.tsx';
import { useEnumLabel } from '../../use-labels.ts';

/** The reward types this form builds; the others (bogo, codes, gifts…) are made through the API. */
const FORM_TYPES = [
  'percentage_discount',
  'amount_discount',
  'free_product',
  'free_delivery',
  'custom',
] as const;
type FormType = (typeof FORM_TYPES)[number];
const isFormType = (type: string): type is FormType => FORM_TYPES.some((candidate) => candidate === type);

interface RewardValues {
  name: string;
  type: string;
  costPoints: string | number;
  /** Percent, money as typed, or units, as the type says; unused by the types without a value. */
  value: string | number;
  skus: string[];
  minimumOrder: string;
  posCode: string;
  description: string;
}

const FIELDS = ['name', 'type', 'costPoints', 'value', 'skus', 'minimumOrder', 'posCode', 'description'];

/** Create a reward, or change one: what it gives, what it costs, and which lines it touches. */
export function RewardForm({ reward, onDone }: { reward?: Reward; onDone: () => void }) {
  const { t } = useTranslation();
  const label = useEnumLabel();
  const save = useSaveReward();
  const money = useMoney();
  const form = useForm<RewardValues>({
    initialValues: {
      name: reward?.name ?? '',
      type: reward?.type ?? 'percentage_discount',
      costPoints: reward?.costPoints ?? '',
      value: initialValue(reward),
      skus: reward?.scope.skus ?? [],
      minimumOrder: reward?.minimumOrder ? money.toInput(reward.minimumOrder) : '',
      posCode: reward?.posCode ?? '',
      description: reward?.description ?? '',
    },
    validate: {
      costPoints: (value) => (value === '' ? t('program.required') : null),
      value: (value, values) => (valueFor(values.type, value) === null ? t('program.required') : null),
      minimumOrder: (value) =>
        value.trim() === '' || money.parse(value) !== null ? null : t('common.badAmount'),
    },
  });

  function initialValue(existing?: Reward): string | number {
    if (!existing || existing.value === null) return '';
    return existing.type === 'amount_discount' ? money.toInput(existing.value) : existing.value;
  }

  /** The API's `value` for a type: undefined where the type takes none, null where one is missing. */
  function valueFor(type: string, value: string | number): number | null | undefined {
    if (type === 'percentage_discount' || type === 'free_product') return value === '' ? null : Number(value);
    if (type === 'amount_discount') return money.parse(String(value));
    return undefined;
  }

  function submit(values: RewardValues) {
    const value = valueFor(values.type, values.value);
    const body: NewReward = {
      name: values.name.trim(),
      type: values.type as NewReward['type'],
      costPoints: Number(values.costPoints),
      scope: { skus: values.skus, categories: reward?.scope.categories ?? [] },
      minimumOrder: values.minimumOrder.trim() === '' ? 0 : (money.parse(values.minimumOrder) ?? 0),
      posCode: values.posCode.trim() === '' ? null : values.posCode.trim(),
      description: values.description.trim() === '' ? null : values.description,
      ...(value !== undefined ? { value } : {}),
    };
    save.mutate(
      { id: reward?.id, body },
      {
        onSuccess: onDone,
        onError: (error) => {
          serverErrors(form, error);
          const skus = form.errors['scope.skus'];
          if (skus) form.setFieldError('skus', skus);
        },
      },
    );
  }

  const type = form.values.type;
  return (
    <form onSubmit={form.onSubmit(submit)}>
      <Stack>
        <FormError error={save.error} fields={[...FIELDS, 'scope.skus']} />
        <TextInput label={t('program.ruleName')} required {...form.getInputProps('name')} />
        {reward && !isFormType(reward.type) ? (
          <Text size="sm">
            {t('program.ruleType')}: {label('rewardType', reward.type)}
          </Text>
        ) : (
          <Select
            label={t('program.ruleType')}
            disabled={Boolean(reward)}
            allowDeselect={false}
            data={FORM_TYPES.map((value) => ({ value, label: label('rewardType', value) }))}
            {...form.getInputProps('type')}
          />
        )}
        <Group grow align="flex-start">
          <NumberInput
            label={t('program.cost')}
            min={0}
            decimalScale={2}
            required
            {...form.getInputProps('costPoints')}
          />
          {type === 'percentage_discount' && (
            <NumberInput
              label={t('program.valuePercent')}
              min={0}
              max={100}
              decimalScale={2}
              required
              {...form.getInputProps('value')}
            />
          )}
          {type === 'amount_discount' && (
            <TextInput
              label={t('program.valueAmount', { currency: money.currency })}
              inputMode="decimal"
              required
              {...form.getInputProps('value')}
            />
          )}
          {type === 'free_product' && (
            <NumberInput
              label={t('program.valueUnits')}
              min={1}
              allowDecimal={false}
              required
              {...form.getInputProps('value')}
            />
          )}
        </Group>
        <TagsInput
          label={t('program.skus')}
          description={t('program.skusHelp')}
          {...form.getInputProps('skus')}
        />
        <Group grow align="flex-start">
          <TextInput
            label={t('program.minimumOrder', { currency: money.currency })}
            inputMode="decimal"
            {...form.getInputProps('minimumOrder')}
          />
          <TextInput label={t('program.posCode')} {...form.getInputProps('posCode')} />
        </Group>
        <Textarea
          label={t('program.description')}
          autosize
          minRows={2}
          {...form.getInputProps('description')}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={save.isPending}>
            {reward ? t('common.save') : t('common.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
