import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, cleanEnv, databaseEnv, removeTempDirs, startServe, tempDir } from './support/serve.ts';

const run = promisify(execFile);
afterAll(removeTempDirs);

/** Process ids of the servers that announced they listen (pino logs carry the pid). */
function listeningPids(stdout: string): Set<number> {
  const pids = new Set<number>();
  for (const line of stdout.split('\n')) {
    if (line.includes('Server listening')) pids.add(JSON.parse(line).pid);
  }
  return pids;
}

describe('regulars serve', () => {
  it('serves health, readiness and the API docs, then shuts down cleanly on SIGTERM', async () => {
    const masterKey = 'rgm_process_test_master_key_000000';
    const server = await startServe({ ...databaseEnv(), REGULARS_MASTER_KEY: masterKey });
    try {
      expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      expect((await fetch(`${server.url}/docs`)).status).toBe(200);
      const root = await fetch(`${server.url}/`);
      expect(await root.json()).toMatchObject({ name: 'regulars' });
      expect(root.headers.get('x-request-id')).toBeTruthy();
      const echoed = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'till-42' } });
      expect(echoed.headers.get('x-request-id')).toBe('till-42');

      const organization = await fetch(`${server.url}/v1/organizations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${masterKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Over HTTP' }),
      });
      expect(organization.status).toBe(201);
      // The log stream never carries credentials.
      expect(server.stderr()).not.toContain(masterKey);
    } finally {
      server.child.kill('SIGTERM');
    }
    const code = await new Promise((resolve) => server.child.on('exit', resolve));
    expect(code).toBe(0);
  });

  // Needs a database of its own with no master key yet: a fresh embedded one.
  it('generates a master key on first start, prints it once, and accepts it afterwards', async () => {
    const env = { DATA_DIR: join(tempDir(), 'data') };
    const first = await startServe(env);
    const key = /\n\s+(rgm_[0-9a-f]+)\n/.exec(first.stderr())?.[1];
    first.child.kill('SIGTERM');
    await new Promise((resolve) => first.child.on('exit', resolve));
    expect(key).toBeDefined();

    const second = await startServe(env);
    try {
      expect(second.stderr()).not.toContain('rgm_');
      const list = await fetch(`${second.url}/v1/organizations`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(list.status).toBe(200);
    } finally {
      second.child.kill('SIGTERM');
    }
  });

  it('exits non-zero and says why when DATABASE_URL points nowhere', async () => {
    const failure = await run(process.execPath, [CLI, 'serve'], {
      env: cleanEnv({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', PORT: '0' }),
    }).catch((error: { code: number; stderr: string }) => error);
    expect('code' in failure && failure.code).toBe(1);
    expect((failure as { stderr: string }).stderr).toMatch(/cannot connect to DATABASE_URL/);
  });
});

describe('regulars serve --workers', () => {
  // node:cluster shares one port between processes; the embedded database cannot be shared.
  it.runIf(process.env.TEST_DATABASE_URL)(
    'runs several API processes on PostgreSQL and stops them all on SIGTERM',
    async () => {
      const port = String(20_000 + Math.floor(Math.random() * 20_000));
      const server = await startServe(
        {
          DATABASE_URL: process.env.TEST_DATABASE_URL!,
          REGULARS_MASTER_KEY: 'rgm_cluster_test_master_key_00000',
          PORT: port,
        },
        ['--workers', '2'],
      );
      try {
        await expect.poll(() => listeningPids(server.stdout()).size, { timeout: 20_000 }).toBe(2);
        const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(`${server.url}/readyz`)));
        expect(answers.every((answer) => answer.status === 200)).toBe(true);
      } finally {
        server.child.kill('SIGTERM');
      }
      expect(await new Promise((resolve) => server.child.on('exit', resolve))).toBe(0);
    },
  );

  it('refuses several workers on the embedded database', async () => {
    const failure = await run(process.execPath, [CLI, 'serve', '--workers', '2'], {
      env: cleanEnv({ DATA_DIR: join(tempDir(), 'data'), PORT: '0' }),
    }).catch((error: { code: number; stderr: string }) => error);
    expect((failure as { stderr: string }).stderr).toContain('--workers needs DATABASE_URL');
  });
});

describe('regulars CLI', () => {
  it('creates an organization with a first API key, then more keys, and revokes one', async () => {
    const env = cleanEnv(databaseEnv());
    const { stdout } = await run(
      process.execPath,
      [CLI, 'org', 'create', '--name', 'CLI Tasca', '--timezone', 'Europe/Madrid', '--json'],
      { env },
    );
    const created = JSON.parse(stdout);
    expect(created.organization).toMatchObject({ name: 'CLI Tasca', timeZone: 'Europe/Madrid' });
    expect(created.apiKey.key).toMatch(/^rgl_[0-9a-f]{8}_[0-9a-f]{40}$/);

    const key = JSON.parse(
      (
        await run(process.execPath, [CLI, 'key', 'create', '--org', created.organization.id, '--json'], {
          env,
        })
      ).stdout,
    );
    const revoked = await run(
      process.execPath,
      [CLI, 'key', 'revoke', '--org', created.organization.id, '--key', key.id],
      { env },
    );
    expect(revoked.stdout).toContain(`revoked ${key.prefix}`);
  });

  it('prints usage and exits non-zero for an unknown command or a missing flag', async () => {
    const unknown = await run(process.execPath, [CLI, 'frobnicate'], { env: cleanEnv({}) }).catch((e) => e);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown command');
    const missing = await run(process.execPath, [CLI, 'org', 'create'], { env: cleanEnv({}) }).catch(
      (e) => e,
    );
    expect(missing.stderr).toContain('--name is required');
  });
});
