import { Anchor, Button, Checkbox, Group, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Address, type MemberPage, useJoin } from './api.ts';
import { refusal } from './forms.ts';
import { Section } from './frame.tsx';
import { followLink, hrefOf } from './router.ts';
import { CodeForm } from './sign-in-page.tsx';

const FIELDS = [
  'firstName',
  'lastName',
  'email',
  'phone',
  'birthDate',
  'consent',
  'marketingConsents',
] as const;

/**
 * The page behind the QR on the table: join in one form, then the six-digit code sent to the
 * email or phone given, then the card. (The join answers the same for a new address and a
 * member's, so the code is what proves the address is the visitor's.)
 */
export function JoinPage({ page }: { page: MemberPage }) {
  const { t, i18n } = useTranslation('member');
  const join = useJoin();
  const [joined, setJoined] = useState<Address>();
  const [other, setOther] = useState<string>();
  const form = useForm({
    initialValues: {
      firstName: '',
      lastName: '',
      email: '',
      phone: '',
      birthDate: '',
      consent: false,
      marketingEmail: false,
      marketingSms: false,
    },
    validate: {
      email: (value, values) => (value.trim() || values.phone.trim() ? null : t('join.needContact')),
      consent: (value) => (value ? null : t('join.needTerms')),
    },
  });

  if (joined) {
    return (
      <Section title={t('join.title', { name: page.name })}>
        <CodeForm address={joined} onRestart={() => setJoined(undefined)} />
      </Section>
    );
  }

  const submit = form.onSubmit((values) => {
    const email = values.email.trim();
    const phone = values.phone.trim();
    setOther(undefined);
    join.mutate(
      {
        ...(values.firstName.trim() ? { firstName: values.firstName.trim() } : {}),
        ...(values.lastName.trim() ? { lastName: values.lastName.trim() } : {}),
        ...(email ? { email } : {}),
        ...(phone ? { phone } : {}),
        ...(values.birthDate ? { birthDate: values.birthDate } : {}),
        language: i18n.language,
        marketingConsents: { email: values.marketingEmail, sms: values.marketingSms },
        consent: { termsVersion: page.terms.version, accepted: true },
      },
      {
        onSuccess: () => setJoined(email ? { email } : { phone }),
        onError: (error) => {
          const { byField, other: message } = refusal(error, FIELDS);
          form.setErrors(byField);
          setOther(message);
        },
      },
    );
  });

  return (
    <Section title={t('join.title', { name: page.name })}>
      <Text>{t('join.intro')}</Text>
      <form onSubmit={submit} noValidate>
        <Stack gap="sm">
          <TextInput
            label={t('join.firstName')}
            autoComplete="given-name"
            {...form.getInputProps('firstName')}
          />
          <TextInput
            label={t('join.lastName')}
            autoComplete="family-name"
            {...form.getInputProps('lastName')}
          />
          <TextInput
            label={t('join.email')}
            type="email"
            autoComplete="email"
            description={t('join.contactHint')}
            {...form.getInputProps('email')}
          />
          <TextInput label={t('join.phone')} type="tel" autoComplete="tel" {...form.getInputProps('phone')} />
          <TextInput
            label={t('join.birthDate')}
            type="date"
            autoComplete="bday"
            {...form.getInputProps('birthDate')}
          />
          <Checkbox
            mt="xs"
            label={page.terms.text ?? t('join.terms')}
            {...form.getInputProps('consent', { type: 'checkbox' })}
          />
          {page.terms.url && (
            <Anchor href={page.terms.url} target="_blank" rel="noopener" size="sm">
              {t('join.termsLink')}
            </Anchor>
          )}
          <Text size="sm" fw={500} mt="xs">
            {page.marketingText ?? t('join.marketing')}
          </Text>
          <Group>
            <Checkbox
              label={t('join.marketingEmail')}
              {...form.getInputProps('marketingEmail', { type: 'checkbox' })}
            />
            <Checkbox
              label={t('join.marketingSms')}
              {...form.getInputProps('marketingSms', { type: 'checkbox' })}
            />
          </Group>
          {other && (
            <Text c="red.9" role="alert">
              {other}
            </Text>
          )}
          <Button type="submit" size="lg" mt="sm" loading={join.isPending}>
            {t('join.submit')}
          </Button>
          <Anchor href={hrefOf('sign-in')} onClick={followLink('sign-in')} ta="center">
            {t('join.haveAccount')}
          </Anchor>
        </Stack>
      </form>
    </Section>
  );
}
