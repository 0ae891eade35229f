import { Alert, Anchor, Button, SegmentedControl, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Address, type MemberPage, useRequestCode, useVerify } from './api.ts';
import { refusal } from './forms.ts';
import { Section } from './frame.tsx';
import { followLink, hrefOf, navigate } from './router.ts';

/** The code step, after a join or a code request: six digits trade for the session, then the card. */
export function CodeForm({ address, onRestart }: { address: Address; onRestart: () => void }) {
  const { t } = useTranslation('member');
  const verify = useVerify();
  const [other, setOther] = useState<string>();
  const form = useForm({ initialValues: { code: '' } });
  const shown = 'email' in address ? address.email : address.phone;
  const submit = form.onSubmit(({ code }) =>
    verify.mutate(
      { ...address, code: code.trim() },
      {
        onSuccess: () => navigate('', { replace: true }),
        onError: (error) => {
          const { byField, other: message } = refusal(error, ['code', 'email', 'phone']);
          form.setErrors({ code: byField.code ?? byField.email ?? byField.phone ?? message });
          setOther(undefined);
        },
      },
    ),
  );
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="md">
        <Alert color="gray" variant="light" role="status">
          {t('signIn.sent', { address: shown })}
        </Alert>
        <TextInput
          label={t('signIn.code')}
          inputMode="numeric"
          autoComplete="one-time-code"
          maxLength={6}
          size="lg"
          data-autofocus
          {...form.getInputProps('code')}
        />
        {other && <Text c="red.9">{other}</Text>}
        <Button type="submit" size="lg" loading={verify.isPending}>
          {t('signIn.verify')}
        </Button>
        <Button variant="subtle" onClick={onRestart}>
          {t('signIn.again')}
        </Button>
      </Stack>
    </form>
  );
}

export function SignInPage({ page }: { page: MemberPage }) {
  const { t } = useTranslation('member');
  const requestCode = useRequestCode();
  const [by, setBy] = useState<'email' | 'phone'>('email');
  const [sentTo, setSentTo] = useState<Address>();
  const [other, setOther] = useState<string>();
  const form = useForm({ initialValues: { email: '', phone: '' } });

  if (sentTo) {
    return (
      <Section title={t('signIn.title', { name: page.name })}>
        <CodeForm address={sentTo} onRestart={() => setSentTo(undefined)} />
      </Section>
    );
  }
  const submit = form.onSubmit((values) => {
    const address: Address = by === 'email' ? { email: values.email.trim() } : { phone: values.phone.trim() };
    setOther(undefined);
    requestCode.mutate(address, {
      onSuccess: () => setSentTo(address),
      onError: (error) => {
        const { byField, other: message } = refusal(error, ['email', 'phone']);
        form.setErrors(byField);
        setOther(message);
      },
    });
  });
  return (
    <Section title={t('signIn.title', { name: page.name })}>
      <Text>{t('signIn.intro')}</Text>
      <form onSubmit={submit} noValidate>
        <Stack gap="md">
          <SegmentedControl
            value={by}
            onChange={(value) => setBy(value === 'phone' ? 'phone' : 'email')}
            data={[
              { value: 'email', label: t('signIn.useEmail') },
              { value: 'phone', label: t('signIn.usePhone') },
            ]}
            fullWidth
          />
          {by === 'email' ? (
            <TextInput
              label={t('signIn.email')}
              type="email"
              autoComplete="email"
              size="lg"
              {...form.getInputProps('email')}
            />
          ) : (
            <TextInput
              label={t('signIn.phone')}
              type="tel"
              autoComplete="tel"
              size="lg"
              {...form.getInputProps('phone')}
            />
          )}
          {other && (
            <Text c="red.9" role="alert">
              {other}
            </Text>
          )}
          <Button type="submit" size="lg" loading={requestCode.isPending}>
            {t('signIn.send')}
          </Button>
          <Anchor href={hrefOf('join')} onClick={followLink('join')} ta="center">
            {t('signIn.notMember')}
          </Anchor>
        </Stack>
      </form>
    </Section>
  );
}
