import { Button, Group, Select, Stack, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useTranslation } from 'react-i18next';
import { type Location, type NewLocation, useSaveLocation } from '../../../shared/api/program.ts';
import { FormError, serverErrors } from '../../../shared/layout/states.tsx';

interface LocationValues {
  name: string;
  address: string;
  postalCode: string;
  city: string;
  country: string;
  /** Empty: the organization's time zone. */
  timeZone: string | null;
  externalId: string;
}

const TEXT_FIELDS = ['address', 'postalCode', 'city', 'country', 'externalId'] as const;
const FIELDS = ['name', 'timeZone', ...TEXT_FIELDS];
const TIME_ZONES = Intl.supportedValuesOf('timeZone');

const orNull = (text: string) => (text.trim() === '' ? null : text.trim());

/** Create a location, or change one: where it is, its time zone, and the POS's id for it. */
export function LocationForm({ location, onDone }: { location?: Location; onDone: () => void }) {
  const { t } = useTranslation();
  const save = useSaveLocation();
  const form = useForm<LocationValues>({
    initialValues: {
      name: location?.name ?? '',
      address: location?.address ?? '',
      postalCode: location?.postalCode ?? '',
      city: location?.city ?? '',
      country: location?.country ?? '',
      timeZone: location?.timeZone ?? null,
      externalId: location?.externalId ?? '',
    },
  });

  function submit(values: LocationValues) {
    const body: NewLocation = {
      name: values.name.trim(),
      address: orNull(values.address),
      postalCode: orNull(values.postalCode),
      city: orNull(values.city),
      country: orNull(values.country.toUpperCase()),
      timeZone: values.timeZone,
      externalId: orNull(values.externalId),
    };
    save.mutate(
      { id: location?.id, body },
      { onSuccess: onDone, onError: (error) => serverErrors(form, error) },
    );
  }

  return (
    <form onSubmit={form.onSubmit(submit)}>
      <Stack>
        <FormError error={save.error} fields={FIELDS} />
        <TextInput label={t('program.ruleName')} required {...form.getInputProps('name')} />
        <TextInput label={t('program.address')} {...form.getInputProps('address')} />
        <Group grow align="flex-start">
          <TextInput label={t('program.postalCode')} {...form.getInputProps('postalCode')} />
          <TextInput label={t('program.city')} {...form.getInputProps('city')} />
          <TextInput
            label={t('program.country')}
            description={t('program.countryHelp')}
            maxLength={2}
            {...form.getInputProps('country')}
          />
        </Group>
        <Select
          label={t('program.timeZone')}
          placeholder={t('program.organizationZone')}
          searchable
          clearable
          data={TIME_ZONES}
          {...form.getInputProps('timeZone')}
        />
        <TextInput
          label={t('program.externalId')}
          description={t('program.externalIdHelp')}
          {...form.getInputProps('externalId')}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={save.isPending}>
            {location ? t('common.save') : t('common.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
