import { Center, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';

/** Where cashiers land. The till app (web/till/, its own issue) replaces this placeholder. */
export function TillPage() {
  const { t } = useTranslation();
  return (
    <Center mih="60vh">
      <Stack align="center" maw={480}>
        <Title order={1} size="h2">
          {t('till.title')}
        </Title>
        <Text ta="center" c="dimmed">
          {t('till.placeholder')}
        </Text>
      </Stack>
    </Center>
  );
}
