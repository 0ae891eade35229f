import { Center, Group, Paper, Stack, Title } from '@mantine/core';
import { LanguagePicker } from '../../../shared/layout/shell.tsx';

/** The frame of the signed-out pages: a centred card with the page's title. */
export function AuthCard({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <Center mih="100vh" p="md" component="main" id="main">
      <Paper withBorder shadow="sm" p="xl" w="100%" maw={460} radius="md">
        <Stack>
          <Group justify="space-between" align="center" wrap="nowrap">
            <Title order={1} size="h3">
              {title}
            </Title>
            <LanguagePicker />
          </Group>
          {children}
        </Stack>
      </Paper>
    </Center>
  );
}
