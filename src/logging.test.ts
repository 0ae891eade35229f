import { sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, masterHeaders, openTestDatabase, TEST_MASTER_KEY } from '../test/support/context.ts';
import { captureLogs, type LogCapture } from '../test/support/log-capture.ts';
import { buildApp } from './app.ts';
import type { Database } from './db/connection.ts';
import type { App } from './http/types.ts';
import { LOG_REDACTIONS, loggableError, loggerOptions } from './logging.ts';
import { createServices } from './services.ts';

let database: Database;
let drop: () => Promise<void>;
let app: App;
let logs: LogCapture;
let headers: { authorization: string };

beforeAll(async () => {
  ({ database, drop } = await openTestDatabase());
  logs = captureLogs();
  const services = createServices(database, { masterKey: TEST_MASTER_KEY, webhooks: { allowPrivate: true } });
  app = await buildApp(services, { logger: logs.options });
  const organization = await app.inject({
    method: 'POST',
    url: '/v1/organizations',
    headers: masterHeaders,
    payload: { name: 'Logged', timeZone: 'Europe/Madrid' },
  });
  expectStatus(organization, 201);
  const key = await app.inject({
    method: 'POST',
    url: `/v1/organizations/${organization.json().id}/api-keys`,
    headers: masterHeaders,
  });
  expectStatus(key, 201);
  headers = { authorization: `Bearer ${key.json().key}` };
  // Real statements failing on the real database: constraints no row the API writes can satisfy.
  await database.db.execute(
    sql.raw('alter table webhook_endpoints add constraint refuse_new_endpoints check (false) not valid'),
  );
  await database.db.execute(
    sql.raw('alter table customers add constraint refuse_new_customers check (false) not valid'),
  );
});
afterAll(async () => {
  await app.close();
  await drop();
});

/** The error lines written since `from`, as parsed objects. */
function errorLinesSince(from: number) {
  return logs.lines.slice(from).filter((line) => line.level === 50);
}

describe('logs of failed statements', () => {
  it('name the SQLSTATE and constraint of a failed webhook endpoint create, never its secret or header token', async () => {
    const from = logs.lines.length;
    const response = await app.inject({
      method: 'POST',
      url: '/v1/webhook-endpoints',
      headers,
      payload: {
        url: 'http://127.0.0.1:9/hook',
        headers: { authorization: 'Bearer receiver-token-5f1c9e' },
      },
    });
    expect(response.statusCode).toBe(500);
    const written = logs.text();
    expect(written).not.toContain('whsec_');
    expect(written).not.toContain('receiver-token-5f1c9e');
    expect(written).not.toContain('127.0.0.1:9/hook');
    expect(written).not.toMatch(/"params"|params: |Failing row/);
    const [line] = errorLinesSince(from);
    expect(JSON.stringify(line)).toContain('"code":"23514"');
    expect(JSON.stringify(line)).toContain('"constraint":"refuse_new_endpoints"');
    expect(JSON.stringify(line)).toContain('insert into \\"webhook_endpoints\\"');
    logs.assertNothingSecret();
  });

  it('name the SQLSTATE of a failed customer insert, never the email, phone or name', async () => {
    const from = logs.lines.length;
    const response = await app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers,
      payload: {
        email: 'lucia.fernandez@example.org',
        phone: '+34 612 345 678',
        firstName: 'Lucía',
        lastName: 'Fernández',
      },
    });
    expect(response.statusCode).toBe(500);
    const written = logs.text();
    for (const personal of ['lucia.fernandez', '612345678', '612 345 678', 'Lucía', 'Fernández']) {
      expect(written).not.toContain(personal);
    }
    const [line] = errorLinesSince(from);
    expect(JSON.stringify(line)).toContain('"code":"23514"');
    expect(JSON.stringify(line)).toContain('"constraint":"refuse_new_customers"');
    logs.assertNothingSecret();
  });
});

describe('request lines', () => {
  it('show the path and the names of the query, not its values (a till looks members up by email)', async () => {
    const from = logs.lines.length;
    await app.inject({
      method: 'GET',
      url: '/v1/customers/lookup?identifier=lucia.fernandez%40example.org&x=1',
      headers,
    });
    const urls = logs.lines
      .slice(from)
      .map((line) => (line.req as { url?: string } | undefined)?.url)
      .filter(Boolean);
    expect(urls).toContain('/v1/customers/lookup?identifier=…&x=…');
    expect(logs.text()).not.toContain('lucia.fernandez');
  });
});

describe('the error serializer', () => {
  it('keeps the names a database message quotes and blanks the values', () => {
    const driverError = Object.assign(new Error('invalid input syntax for type uuid: "lucia@example.org"'), {
      code: '22P02',
      severity: 'ERROR',
      detail: 'Failing row contains (lucia@example.org)',
      query: 'select * from "customers" where "id" = $1',
      params: ['lucia@example.org'],
    });
    const logged = loggableError(new Error('wrapped', { cause: driverError }));
    expect(JSON.stringify(logged)).not.toContain('lucia');
    expect(logged.causes?.[0]).toMatchObject({
      code: '22P02',
      message: 'invalid input syntax for type uuid: "…"',
      statement: 'select * from "customers" where "id" = $1',
    });
  });

  it('walks a cause chain that loops or runs deep without overflowing, and copes with thrown non-errors', () => {
    const looping = new Error('first');
    looping.cause = new Error('second', { cause: looping });
    expect(loggableError(looping).causes?.map((cause) => cause.message)).toEqual(['second']);

    let deep: Error = new Error('bottom');
    for (let depth = 0; depth < 10_000; depth++) deep = new Error(`level ${depth}`, { cause: deep });
    expect(loggableError(deep).causes?.length).toBeLessThanOrEqual(8);

    expect(loggableError('a string with lucia@example.org').message).not.toContain('lucia');
  });

  it('removes the message from the stack, where the parameters would otherwise be repeated', () => {
    const wrapper = Object.assign(new Error('Failed query: insert into "t" values ($1)\nparams: whsec_abc'), {
      query: 'insert into "t" values ($1)',
      params: ['whsec_abc'],
    });
    const logged = loggableError(wrapper);
    expect(logged.message).toBe('statement failed');
    expect(logged.stack).toMatch(/^Error: statement failed\n\s+at /);
    expect(JSON.stringify(logged)).not.toContain('whsec_abc');
  });

  it('redacts secrets and personal fields passed to a log call, at the top or one level down', () => {
    const logs = captureLogs();
    const logger = pino(loggerOptions('info'), logs.options.stream);
    logger.info(
      {
        endpoint: { secret: 'whsec_x', headers: { authorization: 'Bearer t0k3n' } },
        customer: { email: 'a@b.c', phone: '+34600000000', firstName: 'Ana' },
        password: 'hunter2',
      },
      'hello',
    );
    expect(logs.text()).not.toMatch(/whsec_x|t0k3n|a@b\.c|34600000000|Ana|hunter2/);
    expect(LOG_REDACTIONS).toContain('*.secret');
  });
});
