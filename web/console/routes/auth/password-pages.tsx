import { Alert, Anchor, Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { Link } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import {
  useAcceptInvite,
  useCompletePasswordReset,
  useRequestPasswordReset,
} from '../../../shared/api/session.ts';
import { FormError, serverErrors } from '../../../shared/layout/states.tsx';
import { AuthCard } from './auth-card.tsx';

function BackToSignIn() {
  const { t } = useTranslation();
  return (
    <Anchor component={Link} to="/sign-in" size="sm">
      {t('auth.backToSignIn')}
    </Anchor>
  );
}

/** /console/accept-invite?token=…: the invited person chooses a password (and may give their name). */
export function AcceptInvitePage({ token }: { token: string | undefined }) {
  const { t } = useTranslation();
  const accept = useAcceptInvite();
  const form = useForm({ initialValues: { name: '', password: '' } });
  return (
    <AuthCard title={t('auth.inviteTitle')}>
      {!token ? (
        <Alert color="red">{t('auth.missingToken')}</Alert>
      ) : accept.isSuccess ? (
        <Alert color="green" role="status">
          {t('auth.inviteDone')}
        </Alert>
      ) : (
        <form
          onSubmit={form.onSubmit((values) =>
            accept.mutate(
              { token, password: values.password, ...(values.name ? { name: values.name } : {}) },
              { onError: (error) => serverErrors(form, error) },
            ),
          )}
        >
          <Stack>
            <FormError error={accept.error} fields={['password', 'name']} />
            <TextInput label={t('auth.name')} autoComplete="name" {...form.getInputProps('name')} />
            <PasswordInput
              label={t('auth.newPassword')}
              description={t('auth.passwordHelp')}
              autoComplete="new-password"
              required
              {...form.getInputProps('password')}
            />
            <Button type="submit" loading={accept.isPending}>
              {t('auth.setPassword')}
            </Button>
          </Stack>
        </form>
      )}
      <BackToSignIn />
    </AuthCard>
  );
}

/** /console/reset-password: asks for a link; with ?token=… (the emailed link) sets the new password. */
export function ResetPasswordPage({ token }: { token: string | undefined }) {
  const { t } = useTranslation();
  const request = useRequestPasswordReset();
  const complete = useCompletePasswordReset();
  const requestForm = useForm({ initialValues: { email: '' } });
  const completeForm = useForm({ initialValues: { password: '' } });
  return (
    <AuthCard title={t('auth.resetTitle')}>
      {token ? (
        complete.isSuccess ? (
          <Alert color="green" role="status">
            {t('auth.resetDone')}
          </Alert>
        ) : (
          <form
            onSubmit={completeForm.onSubmit((values) =>
              complete.mutate(
                { token, password: values.password },
                { onError: (error) => serverErrors(completeForm, error) },
              ),
            )}
          >
            <Stack>
              <FormError error={complete.error} fields={['password']} />
              <PasswordInput
                label={t('auth.newPassword')}
                description={t('auth.passwordHelp')}
                autoComplete="new-password"
                required
                {...completeForm.getInputProps('password')}
              />
              <Button type="submit" loading={complete.isPending}>
                {t('auth.setPassword')}
              </Button>
            </Stack>
          </form>
        )
      ) : request.isSuccess ? (
        <Alert color="green" role="status">
          {t('auth.resetSent')}
        </Alert>
      ) : (
        <form
          onSubmit={requestForm.onSubmit((values) =>
            request.mutate(values, { onError: (error) => serverErrors(requestForm, error) }),
          )}
        >
          <Stack>
            <FormError error={request.error} fields={['email']} />
            <TextInput
              label={t('auth.email')}
              type="email"
              autoComplete="username"
              required
              {...requestForm.getInputProps('email')}
            />
            <Button type="submit" loading={request.isPending}>
              {t('auth.resetSend')}
            </Button>
          </Stack>
        </form>
      )}
      <BackToSignIn />
    </AuthCard>
  );
}
