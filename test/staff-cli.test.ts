import { afterAll, describe, expect, it } from 'vitest';
import { killStartedProcesses, PROCESS_TEST_TIMEOUT_MS } from './support/processes.ts';
import { cli, databaseEnv, removeTempDirs } from './support/serve.ts';
import { startSmtpServer } from './support/smtp.ts';

afterAll(async () => {
  await killStartedProcesses();
  removeTempDirs();
});

describe('regulars staff invite', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it("invites an organization's first owner: the link printed without SMTP, emailed with it", async () => {
    const env = { ...databaseEnv(), PUBLIC_URL: 'https://loyalty.latasca.test' };
    const org = JSON.parse((await cli(['org', 'create', '--name', 'CLI Tasca', '--json'], env)).stdout);
    const id = org.organization.id as string;

    const printed = await cli(
      ['staff', 'invite', '--organization', id, '--email', 'marta@latasca.test', '--role', 'owner', '--json'],
      env,
    );
    expect(printed.code).toBe(0);
    expect(JSON.parse(printed.stdout)).toMatchObject({
      email: 'marta@latasca.test',
      role: 'owner',
      status: 'invited',
      emailed: false,
      inviteLink: expect.stringMatching(
        /^https:\/\/loyalty\.latasca\.test\/console\/accept-invite\?token=rgt_/,
      ),
    });

    const smtp = await startSmtpServer();
    try {
      const emailed = await cli(
        [
          'staff',
          'invite',
          '--org',
          id,
          '--email',
          'jordi@latasca.test',
          '--role',
          'manager',
          '--name',
          'Jordi',
        ],
        { ...env, SMTP_URL: smtp.url },
      );
      expect(emailed.code).toBe(0);
      expect(emailed.stdout).toContain(
        'invited jordi@latasca.test as manager: the invite email is on its way',
      );
      expect(emailed.stdout).not.toContain('rgt_');
      const mail = await smtp.waitForMessage('jordi@latasca.test');
      expect(mail.text).toContain('https://loyalty.latasca.test/console/accept-invite?token=rgt_');
    } finally {
      await smtp.close();
    }
    const again = await cli(
      ['staff', 'invite', '--org', id, '--email', 'MARTA@latasca.test', '--role', 'owner'],
      env,
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('regulars: this organization already has a staff user with this email\n');
  });

  it('refuses an unknown role before opening the database', async () => {
    const badRole = await cli(
      ['staff', 'invite', '--org', 'x', '--email', 'a@b.test', '--role', 'boss'],
      databaseEnv(),
    );
    expect(badRole.code).toBe(1);
    expect(badRole.stderr).toContain('--role must be one of owner, manager, analyst, cashier');
  });
});
