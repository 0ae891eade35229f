import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killStartedProcesses, PROCESS_TEST_TIMEOUT_MS, type StartedProcess } from './support/processes.ts';
import { cli, databaseEnv, removeTempDirs, startServe, tempDir } from './support/serve.ts';

afterEach(killStartedProcesses);
afterAll(async () => {
  await killStartedProcesses();
  removeTempDirs();
});

/** Asks the server to stop as an operator would, and answers its exit code. */
async function stop(server: StartedProcess): Promise<number | null> {
  server.child.kill('SIGTERM');
  return server.exited;
}

/** Process ids of the servers that announced they listen (pino logs carry the pid). */
function listeningPids(stdout: string): Set<number> {
  const pids = new Set<number>();
  for (const line of stdout.split('\n')) {
    if (line.includes('Server listening')) pids.add(JSON.parse(line).pid);
  }
  return pids;
}

const withTime = { timeout: PROCESS_TEST_TIMEOUT_MS };

describe('regulars serve', withTime, () => {
  it('serves health, readiness and the API docs, then shuts down cleanly on SIGTERM', async () => {
    const masterKey = 'rgm_process_test_master_key_000000';
    const server = await startServe({ ...databaseEnv(), REGULARS_MASTER_KEY: masterKey });
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
    expect(await stop(server)).toBe(0);
  });

  // Needs a database of its own with no master key yet: a fresh embedded one.
  it('generates a master key on first start, prints it once, and accepts it afterwards', async () => {
    const env = { DATA_DIR: join(tempDir(), 'data') };
    const first = await startServe(env);
    // Printed once the server listens (a start that cannot listen must not print, and lose, one).
    const printedKey = () => /\n\s+(rgm_[0-9a-f]+)\n/.exec(first.stderr())?.[1];
    await expect.poll(printedKey, { timeout: 30_000 }).toBeDefined();
    const key = printedKey();
    await stop(first);
    expect(key).toBeDefined();

    const second = await startServe(env);
    expect(second.stderr()).not.toContain('rgm_');
    const list = await fetch(`${second.url}/v1/organizations`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(list.status).toBe(200);
  });

  it('says a port is in use, and shows no master key it would then lose, when it cannot listen', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((taken.address() as AddressInfo).port);
      const failure = await cli(['serve'], {
        DATA_DIR: join(tempDir(), 'data'),
        PORT: port,
        HOST: '127.0.0.1',
      });
      expect(failure.code).toBe(1);
      expect(failure.stderr).toContain(`127.0.0.1:${port} is already in use`);
      expect(failure.stderr).not.toContain('rgm_');
    } finally {
      taken.close();
    }
  });

  it('exits non-zero and says why when DATABASE_URL points nowhere', async () => {
    const failure = await cli(['serve'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', PORT: '0' });
    expect(failure.code).toBe(1);
    expect(failure.stderr).toMatch(/cannot connect to DATABASE_URL/);
  });
});

/**
 * POST /v1/organizations whose body arrives in two halves, the second when the test says: a
 * request in flight for as long as the test likes. Answers how to send the rest, and the status.
 */
function slowOrganizationCreate(url: string, masterKey: string) {
  const body = JSON.stringify({ name: 'Arrived during shutdown' });
  const half = Math.floor(body.length / 2);
  const sent = httpRequest(`${url}/v1/organizations`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${masterKey}`,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    },
  });
  const status = new Promise<number>((resolve, reject) => {
    sent.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    sent.on('error', reject);
  });
  sent.write(body.slice(0, half));
  return { finish: () => sent.end(body.slice(half)), status };
}

describe('regulars serve shutdown', withTime, () => {
  it('on SIGTERM answers /readyz 503 first, still finishes a slow request, then exits', async () => {
    const masterKey = 'rgm_shutdown_test_master_key_0000';
    const server = await startServe({
      ...databaseEnv(),
      REGULARS_MASTER_KEY: masterKey,
      SHUTDOWN_DELAY_MS: '1500',
      SHUTDOWN_GRACE_MS: '20000',
    });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const slow = slowOrganizationCreate(server.url, masterKey);
    // The request is in flight (half its body read) when the signal comes.
    await expect.poll(() => server.stdout().includes('"url":"/v1/organizations"')).toBe(true);
    server.child.kill('SIGTERM');
    await expect.poll(async () => (await fetch(`${server.url}/readyz`)).status).toBe(503);
    // Past the delay the listener closes: the slow request still gets its answer.
    await expect.poll(() => server.stdout().includes('shutting down')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    slow.finish();
    expect(await slow.status).toBe(201);
    expect(await server.exited).toBe(0);
  });
});

describe('regulars serve --workers', withTime, () => {
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
      await expect.poll(() => listeningPids(server.stdout()).size, { timeout: 120_000 }).toBe(2);
      const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(`${server.url}/readyz`)));
      expect(answers.every((answer) => answer.status === 200)).toBe(true);
      expect(await stop(server)).toBe(0);
    },
  );

  it('refuses several workers on the embedded database', async () => {
    const failure = await cli(['serve', '--workers', '2'], { DATA_DIR: join(tempDir(), 'data'), PORT: '0' });
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain('--workers needs DATABASE_URL');
  });
});

describe('regulars CLI', withTime, () => {
  it('creates an organization with a first API key, then more keys, and revokes one', async () => {
    const env = databaseEnv();
    const created = JSON.parse(
      (await cli(['org', 'create', '--name', 'CLI Tasca', '--timezone', 'Europe/Madrid', '--json'], env))
        .stdout,
    );
    expect(created.organization).toMatchObject({ name: 'CLI Tasca', timeZone: 'Europe/Madrid' });
    expect(created.apiKey.key).toMatch(/^rgl_[0-9a-f]{8}_[0-9a-f]{40}$/);

    const key = JSON.parse(
      (await cli(['key', 'create', '--org', created.organization.id, '--scopes', 'till,read', '--json'], env))
        .stdout,
    );
    expect(key.scopes).toEqual(['till', 'read']);
    expect(key.locationIds).toBeNull();
    const nowhere = '01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f';
    const foreign = await cli(
      ['key', 'create', '--org', created.organization.id, '--locations', nowhere],
      env,
    );
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toBe(`regulars: --locations: ${nowhere} is not a location of this organization\n`);
    const revoked = await cli(['key', 'revoke', '--org', created.organization.id, '--key', key.id], env);
    expect(revoked.stdout).toContain(`revoked ${key.prefix}`);
  });

  it('says an organization or a key is not found, whatever was typed, without a stack trace', async () => {
    const env = databaseEnv();
    for (const args of [
      ['key', 'create', '--org', 'nope'],
      ['key', 'create', '--org', '01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f'],
      ['key', 'revoke', '--org', 'nope', '--key', 'nope'],
    ]) {
      const failure = await cli(args, env);
      expect(failure.code).toBe(1);
      expect(failure.stderr).toMatch(/^regulars: (organization|API key) not found\n$/);
    }
  });

  it('prints usage and exits non-zero for an unknown command or a missing flag', async () => {
    const unknown = await cli(['frobnicate'], {});
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown command');
    const missing = await cli(['org', 'create'], {});
    expect(missing.stderr).toContain('--name is required');
    const unknownScope = await cli(['key', 'create', '--org', 'any', '--scopes', 'till,cashier'], {});
    expect(unknownScope.code).toBe(1);
    expect(unknownScope.stderr).toContain(
      '--scopes takes a comma-separated list of till, integration, read, admin',
    );
  });
});

describe('one embedded data directory, one process', withTime, () => {
  it('refuses the CLI and a second server while a server runs on the directory, and says what to do', async () => {
    const dataDir = join(tempDir(), 'data');
    const env = { DATA_DIR: dataDir, REGULARS_MASTER_KEY: 'rgm_lock_test_master_key_0000000' };
    const server = await startServe(env);
    const orgCreate = await cli(['org', 'create', '--name', 'Behind its back'], env);
    expect(orgCreate.code).toBe(1);
    expect(orgCreate.stderr).toContain(
      `the embedded database in ${dataDir} is in use by process ${server.child.pid}`,
    );
    expect(orgCreate.stderr).toContain('Stop the server, or use the HTTP API: POST /v1/organizations');

    const secondServer = await cli(['serve'], { ...env, PORT: '0' });
    expect(secondServer.code).toBe(1);
    expect(secondServer.stderr).toContain(`is in use by process ${server.child.pid}`);
    expect(await stop(server)).toBe(0);

    const afterStop = await cli(['org', 'create', '--name', 'Once it stopped', '--json'], env);
    expect(afterStop.code).toBe(0);
    expect(JSON.parse(afterStop.stdout).organization.name).toBe('Once it stopped');
  });

  it('takes the directory over from a server that was killed', async () => {
    const dataDir = join(tempDir(), 'data');
    const env = { DATA_DIR: dataDir, REGULARS_MASTER_KEY: 'rgm_lock_test_master_key_0000000' };
    const server = await startServe(env);
    server.child.kill('SIGKILL');
    await server.exited;
    expect(readFileSync(join(dataDir, 'regulars.lock'), 'utf8')).toBe(`${server.child.pid}\n`);

    const orgCreate = await cli(['org', 'create', '--name', 'After a crash'], env);
    expect(orgCreate.stderr).toBe('');
    expect(orgCreate.code).toBe(0);
  });
});
