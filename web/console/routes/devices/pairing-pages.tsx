import { Alert, Button, Code, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api, deviceKey, unwrap } from '../../../shared/api/client.ts';
import { TILL_NAMESPACE } from '../../../till/i18n/index.ts';
import { AuthCard } from '../auth/auth-card.tsx';

/**
 * A manager pairs a tablet as a till: a one-time code (and a link carrying it after `#`, which the
 * browser never sends, so no server or proxy logs it), good for ten minutes.
 */
export function TillDevicesPage() {
  const { t, i18n } = useTranslation(TILL_NAMESPACE);
  const [name, setName] = useState('');
  const pair = useMutation({
    mutationFn: async (body: { name: string }) => unwrap(await api.POST('/v1/till-pairings', { body })),
  });
  const fieldErrors = pair.error instanceof ApiError ? pair.error.fieldErrors() : {};
  const link = pair.data ? `${window.location.origin}/console/pair#code=${pair.data.code}` : '';
  const time = new Intl.DateTimeFormat(i18n.language, { timeStyle: 'short' });

  return (
    <Stack maw={640}>
      <Title order={1}>{t('pairing.title')}</Title>
      <Text>{t('pairing.intro')}</Text>
      <form
        onSubmit={(event: FormEvent) => {
          event.preventDefault();
          pair.mutate({ name: name.trim() });
        }}
      >
        <Stack>
          <TextInput
            label={t('pairing.name')}
            description={t('pairing.nameHint')}
            value={name}
            onChange={(event) => setName(event.currentTarget.value)}
            error={fieldErrors.name}
            required
          />
          <Button type="submit" loading={pair.isPending} style={{ alignSelf: 'flex-start' }}>
            {t('pairing.create')}
          </Button>
        </Stack>
      </form>
      {pair.error && !fieldErrors.name && (
        <Alert color="red" role="alert">
          {pair.error.message}
        </Alert>
      )}
      {pair.data && (
        <Alert color="teal" title={t('pairing.codeTitle')} data-testid="pairing-code">
          <Stack gap="xs">
            <Text size="xl" fw={700} ff="monospace" data-testid="pairing-code-value">
              {pair.data.code}
            </Text>
            <Text>{t('pairing.codeHint', { time: time.format(new Date(pair.data.expiresAt)) })}</Text>
            <Text>{t('pairing.link')}</Text>
            <Code block data-testid="pairing-link">
              {link}
            </Code>
          </Stack>
        </Alert>
      )}
    </Stack>
  );
}

/** The code from the pairing link's fragment, taken off the address bar (and its history entry) at once. */
function codeFromLink(): string {
  const code = new URLSearchParams(window.location.hash.slice(1)).get('code') ?? '';
  if (window.location.hash) window.history.replaceState(null, '', window.location.pathname);
  return code;
}

/** The tablet's side: the manager's code in, the device's own till key kept, the till opens. */
export function PairPage() {
  const { t } = useTranslation(TILL_NAMESPACE);
  const navigate = useNavigate();
  const client = useQueryClient();
  const [fromLink] = useState(codeFromLink);
  const [code, setCode] = useState(fromLink);
  const claim = useMutation({
    // A key this device already holds is not looked at by this public route; a new pairing replaces it.
    mutationFn: async (typed: string) =>
      unwrap(await api.POST('/v1/till-pairings/claim', { body: { code: typed } })),
    onSuccess: async (device) => {
      deviceKey.set(device.key);
      await client.resetQueries();
      await navigate({ to: '/till', replace: true });
    },
  });
  const refused = claim.error instanceof ApiError ? claim.error : null;
  const { mutate } = claim;
  const sent = useRef(false);
  useEffect(() => {
    // Opening the manager's link is the request to pair: no second tap (and one claim, even in StrictMode).
    if (!fromLink || sent.current) return;
    sent.current = true;
    mutate(fromLink);
  }, [fromLink, mutate]);

  return (
    <AuthCard title={t('pairing.deviceTitle')}>
      <form
        onSubmit={(event: FormEvent) => {
          event.preventDefault();
          if (code.trim()) claim.mutate(code.trim());
        }}
      >
        <Stack>
          <Text>{t('pairing.deviceIntro')}</Text>
          {claim.error && (
            <Alert color="red" role="alert">
              {refused?.status === 401 ? t('pairing.refused') : claim.error.message}
            </Alert>
          )}
          <TextInput
            size="lg"
            label={t('pairing.code')}
            value={code}
            onChange={(event) => setCode(event.currentTarget.value)}
            autoComplete="off"
            autoCapitalize="characters"
            required
          />
          <Button type="submit" size="lg" loading={claim.isPending}>
            {t('pairing.pair')}
          </Button>
        </Stack>
      </form>
    </AuthCard>
  );
}
