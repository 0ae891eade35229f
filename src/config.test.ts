import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('startup configuration', () => {
  it('runs with no configuration at all: embedded database under ./data on port 8080', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8080);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.dataDir).toMatch(/\/data$/);
  });

  it('prepares repeated statements unless told not to (PgBouncer in transaction mode)', () => {
    expect(loadConfig({}).databasePreparedStatements).toBe(true);
    expect(loadConfig({ DATABASE_PREPARED_STATEMENTS: 'false' }).databasePreparedStatements).toBe(false);
  });

  it('delivers webhooks from serve to public addresses only, retrying for about a day, by default', () => {
    const { webhooks } = loadConfig({});
    expect(webhooks).toMatchObject({ worker: true, allowPrivate: false, concurrency: 8 });
    expect(webhooks.retrySchedule.reduce((sum, delay) => sum + delay, 0)).toBeGreaterThan(22 * 3_600_000);
    expect(loadConfig({ WEBHOOKS_RETRY_SCHEDULE: '1s,1m', WEBHOOKS_WORKER: 'false' }).webhooks).toMatchObject(
      {
        worker: false,
        retrySchedule: [1000, 60_000],
      },
    );
  });

  it('keeps /metrics off unless a token or a port of its own is given; the port listens on loopback', () => {
    expect(loadConfig({}).metrics).toEqual({ token: undefined, port: undefined, host: '127.0.0.1' });
    expect(loadConfig({ METRICS_PORT: '9464' }).metrics).toMatchObject({ port: 9464, host: '127.0.0.1' });
    expect(loadConfig({ METRICS_TOKEN: 'scrape-token-0123456789' }).metrics.token).toBe(
      'scrape-token-0123456789',
    );
  });

  it('shuts down at once with a 10 s grace period by default; the webhooks-only name still counts', () => {
    expect(loadConfig({})).toMatchObject({ shutdownDelayMs: 0, shutdownGraceMs: 10_000 });
    expect(loadConfig({ WEBHOOKS_SHUTDOWN_GRACE_MS: '3000' }).shutdownGraceMs).toBe(3000);
    expect(
      loadConfig({ SHUTDOWN_GRACE_MS: '7000', WEBHOOKS_SHUTDOWN_GRACE_MS: '3000' }).shutdownGraceMs,
    ).toBe(7000);
  });

  it('sends no email or SMS by default, logging messages instead outside production', () => {
    expect(loadConfig({}).messaging).toEqual({
      smtpUrl: undefined,
      mailFrom: 'Regulars <no-reply@localhost>',
      smsProviderUrl: undefined,
      smsProviderToken: undefined,
      developmentLog: true,
    });
    expect(loadConfig({ NODE_ENV: 'production' }).messaging.developmentLog).toBe(false);
    expect(
      loadConfig({
        SMTP_URL: 'smtps://mailer:s3cret@mail.example.com:465',
        MAIL_FROM: 'La Tasca <hola@latasca.example>',
        SMS_PROVIDER_URL: 'https://sms.example.com/send',
        SMS_PROVIDER_TOKEN: 'tok',
      }).messaging,
    ).toMatchObject({
      smtpUrl: 'smtps://mailer:s3cret@mail.example.com:465',
      mailFrom: 'La Tasca <hola@latasca.example>',
      smsProviderUrl: 'https://sms.example.com/send',
      smsProviderToken: 'tok',
    });
  });

  it.each([
    ['an SMTP_URL that is not a URL', 'mail.example.com:587'],
    ['an SMTP_URL of another scheme', 'submission://mailer:s3cret@mail.example.com'],
    ['an SMS_PROVIDER_URL that is not http', 'ftp://mailer:s3cret@sms.example.com'],
  ])('refuses %s without repeating its credentials', (_case, value) => {
    const name = value.includes('sms') ? 'SMS_PROVIDER_URL' : 'SMTP_URL';
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^${name} `));
    expect(() => loadConfig({ [name]: value })).not.toThrow(/s3cret/);
  });

  it('links emails to this server unless PUBLIC_URL says where people open it, and believes no proxy by default', () => {
    expect(loadConfig({ PORT: '9000' }).publicUrl).toBe('http://localhost:9000');
    expect(loadConfig({ PUBLIC_URL: 'https://loyalty.example.com' }).publicUrl).toBe(
      'https://loyalty.example.com',
    );
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toBe('10.0.0.0/8, 127.0.0.1');
    expect(loadConfig({}).sessionSecret).toBeUndefined();
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT must be an integer/],
    [{ PUBLIC_URL: 'loyalty.example.com' }, /PUBLIC_URL must be a URL starting with http:/],
    [{ REGULARS_SESSION_SECRET: 'too short' }, /REGULARS_SESSION_SECRET must be at least 32 characters/],
    [{ TRUST_PROXY: 'the load balancer' }, /TRUST_PROXY must be true, false, or comma-separated addresses/],
    [{ DATABASE_URL: 'not a url' }, /DATABASE_URL is not a valid URL/],
    [{ DATABASE_URL: 'mysql://root@localhost/x' }, /DATABASE_URL must start with postgres/],
    [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL must be a URL/],
    [{ SMTP_URL: 'http://mail.example.com' }, /SMTP_URL must start with smtp:\/\/ or smtps:\/\//],
    [{ MAIL_FROM: 'nobody' }, /MAIL_FROM must be an email address, optionally with a name/],
    [{ MAIL_FROM: 'La Tasca <hola>' }, /MAIL_FROM must be an email address/],
    [{ REGULARS_MASTER_KEY: 'short' }, /at least 24 characters/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    [{ WEBHOOKS_ALLOW_PRIVATE: 'yes' }, /WEBHOOKS_ALLOW_PRIVATE must be true or false/],
    [{ DATABASE_PREPARED_STATEMENTS: 'off' }, /DATABASE_PREPARED_STATEMENTS must be true or false/],
    [
      { WEBHOOKS_RETRY_SCHEDULE: '5 seconds' },
      /WEBHOOKS_RETRY_SCHEDULE must be 1–50 comma-separated durations/,
    ],
    [{ METRICS_TOKEN: 'secret' }, /METRICS_TOKEN must be at least 16 characters without spaces/],
    [{ METRICS_TOKEN: 'a token with spaces in it' }, /METRICS_TOKEN must be at least 16 characters/],
    [{ METRICS_PORT: 'nine' }, /METRICS_PORT must be an integer between 1 and 65535/],
    [{ METRICS_PORT: '8080' }, /METRICS_PORT must differ from PORT/],
    [{ METRICS_HOST: '0.0.0.0' }, /METRICS_HOST is set but METRICS_PORT is not/],
    [{ METRICS_PORT: '9464', METRICS_HOST: 'a host' }, /METRICS_HOST must be an address or host name/],
    [{ SHUTDOWN_GRACE_MS: '-1' }, /SHUTDOWN_GRACE_MS must be an integer between 0 and 600000/],
    [{ SHUTDOWN_DELAY_MS: 'soon' }, /SHUTDOWN_DELAY_MS must be an integer/],
  ])('explains what is wrong with %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
