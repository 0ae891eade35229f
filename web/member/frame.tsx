import { Anchor, Container, Group, Image, NativeSelect, Paper, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { chooseLanguage, isLanguage, LANGUAGES } from '../shared/i18n/language.ts';
import type { MemberPage } from './api.ts';
import { followLink, hrefOf, type PageName } from './router.ts';

const NAV: { page: PageName; key: 'card' | 'history' | 'rewards' | 'profile' }[] = [
  { page: '', key: 'card' },
  { page: 'history', key: 'history' },
  { page: 'rewards', key: 'rewards' },
  { page: 'profile', key: 'profile' },
];

function LanguagePicker() {
  const { t, i18n } = useTranslation('member');
  return (
    <NativeSelect
      aria-label={t('language')}
      size="xs"
      w={72}
      value={i18n.language}
      data={LANGUAGES.map((value) => ({ value, label: value.toUpperCase() }))}
      onChange={(event) => isLanguage(event.currentTarget.value) && chooseLanguage(event.currentTarget.value)}
    />
  );
}

/** The organization's header (logo, name), the signed-in navigation, and the page. */
export function Frame({
  page,
  current,
  signedIn,
  children,
}: {
  page: MemberPage;
  current: PageName;
  signedIn: boolean;
  children: ReactNode;
}) {
  const { t } = useTranslation('member');
  return (
    <>
      <header style={{ background: page.color, color: 'white' }}>
        <Container size="xs" py="sm">
          <Group justify="space-between" wrap="nowrap">
            <Group gap="sm" wrap="nowrap">
              {page.logoUrl && (
                <Image src={page.logoUrl} alt="" h={36} w={36} radius="sm" fit="contain" bg="white" />
              )}
              <Text fw={700} size="lg" c="white" truncate>
                {page.name}
              </Text>
            </Group>
            <LanguagePicker />
          </Group>
        </Container>
        {signedIn && (
          <nav aria-label={t('nav.label')} style={{ background: 'rgba(0,0,0,0.25)' }}>
            <Container size="xs">
              <Group gap={0} grow wrap="nowrap">
                {NAV.map(({ page: target, key }) => (
                  <Anchor
                    key={key}
                    href={hrefOf(target)}
                    onClick={followLink(target)}
                    aria-current={current === target ? 'page' : undefined}
                    c="white"
                    ta="center"
                    py={12}
                    fw={current === target ? 700 : 500}
                    underline="never"
                    style={{
                      borderBottom: `3px solid ${current === target ? 'white' : 'transparent'}`,
                      minHeight: 44,
                    }}
                  >
                    {t(`nav.${key}`)}
                  </Anchor>
                ))}
              </Group>
            </Container>
          </nav>
        )}
      </header>
      <Container size="xs" py="md" component="main">
        {children}
      </Container>
    </>
  );
}

/** A page's title and its content on a card. */
export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Stack gap="md">
      <Title order={1} size="h2">
        {title}
      </Title>
      <Paper withBorder p="md" radius="md">
        <Stack gap="md">{children}</Stack>
      </Paper>
    </Stack>
  );
}
