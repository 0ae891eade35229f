import {
  Anchor,
  Button,
  Card,
  Code,
  CopyButton,
  Group,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { Link } from '@tanstack/react-router';
import { Fragment } from 'react';
import { useTranslation } from 'react-i18next';
import { permissionsOf, useMe } from '../../../shared/api/session.ts';

interface Dialect {
  id: 'comeback' | 'cheerfy' | 'gateway' | 'openloyalty';
  name: string;
  /** What the POS puts as its base URL (or the one URL it calls), after this server's origin. */
  base: string;
  /** The header(s) it sends: `<key>` stands for an API key of scope till. */
  headers: string[];
  /** One call to try the connection. */
  example: string;
}

/** From docs/dialects/*.md and the README: each vendor's paths, kept as the POS already sends them. */
const DIALECTS: Dialect[] = [
  {
    id: 'comeback',
    name: 'Comeback',
    base: '/compat/comeback',
    headers: ['Authorization: <key>'],
    example: 'GET /compat/comeback/v1/locations',
  },
  {
    id: 'cheerfy',
    name: 'Cheerfy',
    base: '/compat/cheerfy',
    headers: ['Authorization: Token <key>'],
    example: 'POST /compat/cheerfy/ticket/',
  },
  {
    id: 'gateway',
    name: 'POS loyalty gateway',
    base: '/compat/pos-gateway/v1/benefits/redeem',
    headers: ['Authorization: Bearer <key>', 'x-api-key: <key>'],
    example: 'POST /compat/pos-gateway/v1/benefits/redeem',
  },
  {
    id: 'openloyalty',
    name: 'Open Loyalty',
    base: '/compat/openloyalty',
    headers: [
      'X-AUTH-TOKEN: <key>',
      'Authorization: Bearer <token of POST /compat/openloyalty/api/admin/login_check>',
    ],
    example: 'GET /compat/openloyalty/api/DEFAULT/customer/<member id>',
  },
];

/** Lets a long URL wrap after its slashes (never inside a word) when the card is narrow. */
function BreakAtSlashes({ text }: { text: string }) {
  const parts = text.split('/');
  return parts.map((part, index) => (
    // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one fixed string never reorder
    <Fragment key={index}>
      {part}
      {index < parts.length - 1 && (
        <>
          /<wbr />
        </>
      )}
    </Fragment>
  ));
}

function Copyable({ value, testId }: { value: string; testId?: string }) {
  const { t } = useTranslation();
  return (
    <Group gap="xs" wrap="nowrap">
      <Code data-testid={testId} style={{ flex: 1, minWidth: 0 }}>
        <BreakAtSlashes text={value} />
      </Code>
      <CopyButton value={value}>
        {({ copied, copy }) => (
          <Button
            size="compact-xs"
            variant="subtle"
            onClick={copy}
            style={{ flexShrink: 0 }}
            aria-label={`${t('common.copy')}: ${value}`}
          >
            {copied ? t('common.copied') : t('common.copy')}
          </Button>
        )}
      </CopyButton>
    </Group>
  );
}

/**
 * Connect a POS: the exact base URL and headers each dialect's POS uses. The POS keeps its own paths
 * and bodies; only its base URL and key change.
 */
export function PosPage() {
  const { t } = useTranslation();
  const can = permissionsOf(useMe());
  const origin = window.location.origin;
  return (
    <Stack>
      <Title order={1} size="h2">
        {t('pos.title')}
      </Title>
      <Text>{t('pos.intro')}</Text>
      <Text size="sm">
        {can.access ? (
          <Anchor component={Link} to="/integrations/api-keys">
            {t('pos.key')}
          </Anchor>
        ) : (
          t('pos.keyOwner')
        )}
      </Text>
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        {DIALECTS.map((dialect) => (
          <Card withBorder key={dialect.id} data-testid={`dialect-${dialect.id}`}>
            <Title order={2} size="h4" mb="xs">
              {dialect.name}
            </Title>
            <Text size="sm" c="dimmed" mb="sm">
              {t(`pos.notes.${dialect.id}`)}
            </Text>
            <Table variant="vertical" withTableBorder={false} layout="fixed">
              <Table.Tbody>
                <Table.Tr>
                  <Table.Th w={110}>{t('pos.base')}</Table.Th>
                  <Table.Td>
                    <Copyable value={origin + dialect.base} testId={`base-${dialect.id}`} />
                  </Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Th>{t('pos.headers')}</Table.Th>
                  <Table.Td>
                    <Stack gap={4}>
                      {dialect.headers.map((header) => (
                        <Copyable key={header} value={header} />
                      ))}
                    </Stack>
                  </Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Th>{t('pos.try')}</Table.Th>
                  <Table.Td>
                    <Code>
                      <BreakAtSlashes text={dialect.example} />
                    </Code>
                  </Table.Td>
                </Table.Tr>
              </Table.Tbody>
            </Table>
          </Card>
        ))}
      </SimpleGrid>
    </Stack>
  );
}
