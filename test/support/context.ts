import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { buildApp } from '../../src/app.ts';
import { type Database, openDatabase } from '../../src/db/connection.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import type { App } from '../../src/http/types.ts';
import { createServices, type Services, type ServicesOptions } from '../../src/services.ts';
import { standInDns } from './dns.ts';
import { captureLogs } from './log-capture.ts';

export const TEST_MASTER_KEY = 'rgm_test_master_key_0123456789abcdef';
export const masterHeaders = { authorization: `Bearer ${TEST_MASTER_KEY}` };

/**
 * A fresh, migrated database for one test file: in-memory PGlite by default, or a new database
 * on the server named by TEST_DATABASE_URL (dropped again at the end).
 */
export async function openTestDatabase(): Promise<{
  database: Database;
  url?: string;
  drop(): Promise<void>;
}> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const database = await openDatabase({});
    await runMigrations(database);
    return { database, drop: () => database.close() };
  }
  const name = `regulars_test_${Date.now()}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString(), poolSize: 10 });
  await runMigrations(database);
  return {
    database,
    url: url.toString(),
    async drop() {
      await database.close();
      const cleanup = new pg.Client({ connectionString: serverUrl });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}

/**
 * A fresh database and one connection to it: what the connection did (prepared, held back) shows in
 * every statement that follows. On PostgreSQL (TEST_DATABASE_URL) a pool of one; the embedded
 * engine is one session already.
 */
export async function openSingleConnection(): Promise<{
  single: Database;
  /** The server database's URL; absent on the embedded engine. */
  url: string | undefined;
  drop(): Promise<void>;
}> {
  const test = await openTestDatabase();
  if (!test.url) return { single: test.database, url: undefined, drop: test.drop };
  const single = await openDatabase({ url: test.url, poolSize: 1 });
  return {
    single,
    url: test.url,
    async drop() {
      await single.close();
      await test.drop();
    },
  };
}

export interface TestOrganization {
  id: string;
  apiKey: string;
  apiKeyId: string;
  /** Authorization header of the organization's key. */
  headers: { authorization: string };
}

export interface TestContext {
  app: App;
  services: Services;
  database: Database;
  /** The test database's URL on PostgreSQL (for a second connection pool); undefined on PGlite. */
  url: string | undefined;
  /** A new organization with its own API key: each test can have a tenant of its own. */
  createOrganization(overrides?: Record<string, unknown>): Promise<TestOrganization>;
  close(): Promise<void>;
}

export async function createTestContext(
  options: Omit<ServicesOptions, 'masterKey'> = {},
): Promise<TestContext> {
  const { database, url, drop } = await openTestDatabase();
  // Host names of webhook endpoints resolve through a stand-in DNS: tests never ask the network.
  const webhooks = { resolve: standInDns(), ...options.webhooks };
  const services = createServices(database, { masterKey: TEST_MASTER_KEY, ...options, webhooks });
  // The app's real logger, every line checked: a key, a webhook secret or a statement's
  // parameters in any log of any test fails that test file (at close).
  const logs = captureLogs('info', { keep: false });
  const app = await buildApp(services, { logger: logs.options });
  await app.ready();
  return {
    app,
    services,
    database,
    url,
    async createOrganization(overrides = {}) {
      const created = await app.inject({
        method: 'POST',
        url: '/v1/organizations',
        headers: masterHeaders,
        payload: { name: `Org ${randomBytes(3).toString('hex')}`, timeZone: 'Europe/Madrid', ...overrides },
      });
      expectStatus(created, 201);
      const id = created.json().id as string;
      const key = await app.inject({
        method: 'POST',
        url: `/v1/organizations/${id}/api-keys`,
        headers: masterHeaders,
      });
      expectStatus(key, 201);
      const { key: apiKey, id: apiKeyId } = key.json() as { key: string; id: string };
      return { id, apiKey, apiKeyId, headers: { authorization: `Bearer ${apiKey}` } };
    },
    async close() {
      await app.close();
      await drop();
      logs.assertNothingSecret();
    },
  };
}

/** Fails with the response body in the message, which is what one needs to see when a status is wrong. */
export function expectStatus(response: LightMyRequestResponse, status: number): void {
  if (response.statusCode !== status) {
    throw new Error(`expected HTTP ${status}, got ${response.statusCode}: ${response.body}`);
  }
}
