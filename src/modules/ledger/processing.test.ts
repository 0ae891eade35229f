import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestContext, openTestDatabase } from '../../../test/support/context.ts';
import { createCustomer } from '../../../test/support/ledger.ts';
import { type Database, openDatabase } from '../../db/connection.ts';
import { runMigrations } from '../../db/migrate.ts';
import { startPeriodicJob } from '../../jobs.ts';
import { createServices } from '../../services.ts';
import { SYSTEM } from './service.ts';

/** `regulars points process` and `regulars ledger verify` run as a user would: the built binary. */
const ROOT = join(import.meta.dirname, '..', '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const run = promisify(execFile);
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A database the CLI can open too: a PostgreSQL test database, or PGlite files in a temp dir. */
async function sharedDatabase(): Promise<{
  env: Record<string, string>;
  open(): Promise<Database>;
  release(): Promise<void>;
  drop(): Promise<void>;
}> {
  if (process.env.TEST_DATABASE_URL) {
    const test = await openTestDatabase();
    return {
      env: { DATABASE_URL: test.url! },
      open: async () => test.database,
      release: async () => {},
      drop: () => test.drop(),
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'regulars-ledger-'));
  dirs.push(dir);
  const dataDir = join(dir, 'data');
  let current: Database | undefined;
  return {
    env: { DATA_DIR: dataDir },
    // PGlite files belong to one process at a time: open, work, close, then let the CLI in.
    open: async () => {
      current = await openDatabase({ dataDir });
      await runMigrations(current);
      return current;
    },
    release: async () => {
      await current?.close();
      current = undefined;
    },
    drop: async () => {
      await current?.close();
    },
  };
}

async function cli(args: string[], env: Record<string, string>) {
  const { DATABASE_URL, DATA_DIR, TEST_DATABASE_URL, ...rest } = process.env;
  try {
    const { stdout } = await run(process.execPath, [CLI, ...args], { env: { ...rest, ...env } });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('regulars points process and regulars ledger verify', () => {
  it('expires due points from the command line and reports mismatches with a non-zero exit', async () => {
    const shared = await sharedDatabase();
    try {
      let database = await shared.open();
      let services = createServices(database);
      const organization = await services.organizations.create({ name: 'CLI', timeZone: 'Europe/Madrid' });
      const customer = await createCustomer({ services, database }, organization.id);
      await services.ledger.add({
        organizationId: organization.id,
        customerId: customer.id,
        points: 10_000,
        actor: SYSTEM,
        expiresAt: new Date('2030-01-02T00:00:00Z'),
        now: new Date('2030-01-01T00:00:00Z'),
      });
      await shared.release();

      const processed = await cli(
        ['points', 'process', '--now', '2030-01-03T00:00:00Z', '--org', organization.id, '--json'],
        shared.env,
      );
      expect(processed.code).toBe(0);
      expect(JSON.parse(processed.stdout)).toEqual({
        balances: 1,
        lotsActivated: 0,
        lotsExpired: 1,
        skipped: 0,
      });

      const clean = await cli(['ledger', 'verify', '--org', organization.id], shared.env);
      expect(clean).toMatchObject({ code: 0 });
      expect(clean.stdout).toContain('checked 1 balances, 1 lots, 2 entries: 0 mismatches');

      database = await shared.open();
      services = createServices(database);
      // A balance and a lot changed behind the ledger's back: both are reported.
      await database.db.execute(
        sql`update point_balances set active = active + 5 where organization_id = ${organization.id}`,
      );
      await database.db.execute(
        sql`update point_lots set remaining = 1 where organization_id = ${organization.id}`,
      );
      await shared.release();
      const broken = await cli(['ledger', 'verify', '--org', organization.id], shared.env);
      expect(broken.code).toBe(1);
      expect(broken.stdout).toMatch(/lot \S+ \(organization \S+\): remaining is 1, entries say 0/);
      expect(broken.stdout).toMatch(/balance \S+ \(organization \S+\): active is 5, entries say 1/);
      expect(broken.stdout).toMatch(/balance \S+ \(organization \S+\): holdings is 1, entries say 0/);
      expect(broken.stdout).toContain('3 mismatches');
    } finally {
      await shared.drop();
    }
    // Each CLI run opens (and on PGlite, loads from disk) its own database.
  }, 120_000);
});

describe('the scheduler inside serve', () => {
  it('activates and expires due points on its own, and stops cleanly', async () => {
    const ctx = await createTestContext();
    try {
      const org = await ctx.createOrganization();
      const customer = await createCustomer(ctx, org.id);
      await ctx.services.ledger.add({
        organizationId: org.id,
        customerId: customer.id,
        points: 500,
        actor: SYSTEM,
        expiresAt: new Date(Date.now() + 150),
      });
      const runs: number[] = [];
      const scheduler = startPeriodicJob(() => ctx.services.ledger.processDue(), {
        intervalMs: 50,
        onError: (error) => {
          throw error;
        },
        onRun: (result) => runs.push(result.lotsExpired),
      });
      await expect
        .poll(async () => (await ctx.services.ledger.balances(org.id, customer.id))[0]?.expired, {
          timeout: 5000,
          interval: 50,
        })
        .toBe(500);
      await scheduler.stop();
      const after = runs.length;
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(runs.length).toBe(after);
      expect(runs.reduce((sum, expired) => sum + expired, 0)).toBe(1);
    } finally {
      await ctx.close();
    }
  });
});
