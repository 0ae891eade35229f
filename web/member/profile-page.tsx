import { Alert, Button, Checkbox, Group, Modal, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type MemberPage, type Profile, useAnonymize, useMe, useSignOut, useUpdateProfile } from './api.ts';
import { refusal } from './forms.ts';
import { Section } from './frame.tsx';
import { navigate } from './router.ts';

const FIELDS = ['firstName', 'lastName', 'birthDate', 'marketingConsents'] as const;

/** Name, birthday and marketing consents; signing out; erasing the account, once confirmed. */
export function ProfilePage({ page }: { page: MemberPage }) {
  const me = useMe().data;
  const { t } = useTranslation('member');
  const signOut = useSignOut();
  if (!me) return null;
  return (
    <Stack gap="lg">
      <Section title={t('profile.title')}>
        <ProfileForm me={me} marketingText={page.marketingText} />
      </Section>
      <Button
        variant="default"
        size="md"
        loading={signOut.isPending}
        onClick={() => signOut.mutate(undefined, { onSettled: () => navigate('sign-in', { replace: true }) })}
      >
        {t('profile.signOut')}
      </Button>
      <DeleteAccount />
    </Stack>
  );
}

function ProfileForm({ me, marketingText }: { me: Profile; marketingText: string | null }) {
  const { t } = useTranslation('member');
  const update = useUpdateProfile();
  const [saved, setSaved] = useState(false);
  const [other, setOther] = useState<string>();
  const form = useForm({
    initialValues: {
      firstName: me.firstName ?? '',
      lastName: me.lastName ?? '',
      birthDate: me.birthDate ?? '',
      marketingEmail: me.marketingConsents.email?.granted ?? false,
      marketingSms: me.marketingConsents.sms?.granted ?? false,
    },
  });
  const submit = form.onSubmit((values) => {
    setSaved(false);
    setOther(undefined);
    update.mutate(
      {
        firstName: values.firstName.trim() || null,
        lastName: values.lastName.trim() || null,
        birthDate: values.birthDate || null,
        marketingConsents: { email: values.marketingEmail, sms: values.marketingSms },
      },
      {
        onSuccess: () => setSaved(true),
        onError: (error) => {
          const { byField, other: message } = refusal(error, FIELDS);
          form.setErrors(byField);
          setOther(message);
        },
      },
    );
  });
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <Text size="sm">{t('profile.contact', { address: me.email ?? me.phone ?? '' })}</Text>
        <TextInput
          label={t('profile.firstName')}
          autoComplete="given-name"
          {...form.getInputProps('firstName')}
        />
        <TextInput
          label={t('profile.lastName')}
          autoComplete="family-name"
          {...form.getInputProps('lastName')}
        />
        <TextInput label={t('profile.birthDate')} type="date" {...form.getInputProps('birthDate')} />
        <Text size="sm" fw={500} mt="xs">
          {marketingText ?? t('profile.marketing')}
        </Text>
        <Group>
          <Checkbox
            label={t('profile.marketingEmail')}
            {...form.getInputProps('marketingEmail', { type: 'checkbox' })}
          />
          <Checkbox
            label={t('profile.marketingSms')}
            {...form.getInputProps('marketingSms', { type: 'checkbox' })}
          />
        </Group>
        {other && (
          <Text c="red.9" role="alert">
            {other}
          </Text>
        )}
        {saved && (
          <Alert color="green" role="status">
            {t('profile.saved')}
          </Alert>
        )}
        <Button type="submit" loading={update.isPending}>
          {t('profile.save')}
        </Button>
      </Stack>
    </form>
  );
}

function DeleteAccount() {
  const { t } = useTranslation('member');
  const anonymize = useAnonymize();
  const [asking, setAsking] = useState(false);
  return (
    <>
      <Button color="red.9" variant="outline" onClick={() => setAsking(true)}>
        {t('profile.delete')}
      </Button>
      <Modal
        opened={asking}
        onClose={() => setAsking(false)}
        title={
          <Title order={2} size="h4">
            {t('profile.deleteTitle')}
          </Title>
        }
        centered
      >
        <Stack>
          <Text>{t('profile.deleteText')}</Text>
          {anonymize.isError && (
            <Text c="red.9" role="alert">
              {refusal(anonymize.error, []).other}
            </Text>
          )}
          <Button
            color="red.9"
            loading={anonymize.isPending}
            onClick={() =>
              anonymize.mutate(undefined, { onSuccess: () => navigate('join', { replace: true }) })
            }
          >
            {t('profile.deleteConfirm')}
          </Button>
          <Button variant="default" onClick={() => setAsking(false)}>
            {t('profile.cancel')}
          </Button>
        </Stack>
      </Modal>
    </>
  );
}
