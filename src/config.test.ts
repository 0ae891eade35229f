import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('startup configuration', () => {
  it('runs with no configuration at all: embedded database under ./data on port 8080', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8080);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.dataDir).toMatch(/\/data$/);
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT must be an integer/],
    [{ DATABASE_URL: 'not a url' }, /DATABASE_URL is not a valid URL/],
    [{ DATABASE_URL: 'mysql://root@localhost/x' }, /DATABASE_URL must start with postgres/],
    [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL must be a URL/],
    [{ REGULARS_MASTER_KEY: 'short' }, /at least 24 characters/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
  ])('explains what is wrong with %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
