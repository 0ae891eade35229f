import { Alert, Anchor, Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { Link, useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../../shared/api/client.ts';
import { useSignIn } from '../../../shared/api/session.ts';
import { serverErrors } from '../../../shared/layout/states.tsx';
import { AuthCard } from './auth-card.tsx';

export function SignInPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const signIn = useSignIn();
  const [needs, setNeeds] = useState<{ organization: boolean; totp: boolean }>({
    organization: false,
    totp: false,
  });
  const form = useForm({ initialValues: { email: '', password: '', organizationId: '', totpCode: '' } });
  const failed = signIn.error instanceof ApiError && signIn.error.status === 401;

  return (
    <AuthCard title={t('auth.signInTitle')}>
      <form
        onSubmit={form.onSubmit((values) =>
          signIn.mutate(
            {
              email: values.email,
              password: values.password,
              ...(values.organizationId ? { organizationId: values.organizationId } : {}),
              ...(values.totpCode ? { totpCode: values.totpCode } : {}),
            },
            {
              onSuccess: (session) =>
                navigate({ to: session.staff.role === 'cashier' ? '/till' : '/', replace: true }),
              onError: (error) => {
                serverErrors(form, error);
                if (error instanceof ApiError && error.code === 'organization_required')
                  setNeeds((state) => ({ ...state, organization: true }));
                if (error instanceof ApiError && error.code === 'totp_required')
                  setNeeds((state) => ({ ...state, totp: true }));
              },
            },
          ),
        )}
      >
        <Stack>
          {failed && (
            <Alert color="red" role="alert">
              {t('auth.failed')}
            </Alert>
          )}
          {signIn.error && !failed && !(signIn.error instanceof ApiError && signIn.error.errors.length) && (
            <Alert color="red" role="alert">
              {signIn.error.message}
            </Alert>
          )}
          <TextInput
            label={t('auth.email')}
            type="email"
            autoComplete="username"
            required
            autoFocus
            {...form.getInputProps('email')}
          />
          <PasswordInput
            label={t('auth.password')}
            autoComplete="current-password"
            required
            {...form.getInputProps('password')}
          />
          {needs.organization && (
            <TextInput
              label={t('auth.organization')}
              description={t('auth.organizationHelp')}
              {...form.getInputProps('organizationId')}
            />
          )}
          {needs.totp && (
            <TextInput
              label={t('auth.totp')}
              inputMode="numeric"
              autoComplete="one-time-code"
              {...form.getInputProps('totpCode')}
            />
          )}
          <Button type="submit" loading={signIn.isPending}>
            {t('auth.signIn')}
          </Button>
          <Anchor component={Link} to="/reset-password" size="sm">
            {t('auth.forgot')}
          </Anchor>
        </Stack>
      </form>
    </AuthCard>
  );
}
