import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectStatus, type TestContext } from '../../../test/support/context.ts';
import { captureLogs } from '../../../test/support/log-capture.ts';
import { startSmsReceiver, type TestSmsReceiver } from '../../../test/support/sms.ts';
import { startSmtpServer, type TestSmtpServer } from '../../../test/support/smtp.ts';
import { AppError } from '../../errors.ts';
import { languageOf } from '../organizations/settings.ts';
import { createMessenger, type MessengerService } from './messenger.ts';
import type { MessageTemplate, OutgoingMessage } from './types.ts';

const SMTP_PASSWORD = 'smtp-pässword-42';
const SMS_TOKEN = 'sms-provider-token-0123';
const CODE = '482913';
const LINK = 'https://console.example.com/accept?token=tok_Zx81';

const VALUES: Record<MessageTemplate, Record<string, string>> = {
  'staff-invite': { organizationName: 'Café Niño', link: LINK },
  'password-reset': { link: LINK },
  'member-sign-in-code': { organizationName: 'Café Niño', code: CODE },
};

/** Per template and language: words the subject must carry, accents included, as a reader sees them. */
const SUBJECTS: Record<MessageTemplate, Record<'es' | 'en' | 'fr', string>> = {
  'staff-invite': {
    es: 'Te han invitado a Café Niño en Regulars',
    en: 'You are invited to Café Niño on Regulars',
    fr: 'Vous êtes invité·e à rejoindre Café Niño sur Regulars',
  },
  'password-reset': {
    es: 'Restablece tu contraseña de Regulars',
    en: 'Reset your Regulars password',
    fr: 'Réinitialisez votre mot de passe Regulars',
  },
  'member-sign-in-code': {
    es: `${CODE} es tu código de acceso a Café Niño`,
    en: `${CODE} is your Café Niño sign-in code`,
    fr: `${CODE} est votre code de connexion à Café Niño`,
  },
};

function message(overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    organizationId: '0190b5a0-0000-7000-8000-000000000001',
    template: 'member-sign-in-code',
    channel: 'email',
    to: 'ana@example.com',
    language: 'es',
    values: VALUES['member-sign-in-code'],
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

/** A failure's message says what failed, never the code, the link, the recipient or a credential. */
function expectNothingSecret(text: string) {
  for (const secret of [CODE, LINK, 'tok_Zx81', SMTP_PASSWORD, SMS_TOKEN, 'ana@example.com']) {
    expect(text).not.toContain(secret);
  }
}

describe('email through SMTP', () => {
  let smtp: TestSmtpServer;
  let messenger: MessengerService;

  beforeAll(async () => {
    smtp = await startSmtpServer({ user: 'mailer', password: SMTP_PASSWORD });
    messenger = createMessenger({ smtpUrl: smtp.url, mailFrom: 'La Tasca <hola@latasca.example>' });
  });
  afterAll(async () => {
    await messenger.close();
    await smtp.close();
  });

  it('says email is configured and SMS is not', () => {
    expect(messenger.channels).toEqual({ email: true, sms: false });
  });

  for (const template of Object.keys(SUBJECTS) as MessageTemplate[]) {
    for (const language of ['es', 'en', 'fr'] as const) {
      it(`delivers ${template} in ${language}, accents intact, with its code or link`, async () => {
        const to = `${template}.${language}@example.com`;
        await messenger.send(message({ template, language, to, values: VALUES[template] }));
        const mail = await smtp.waitForMessage(to);
        expect(mail.headers.to).toBe(to);
        expect(mail.from).toBe('La Tasca <hola@latasca.example>');
        expect(mail.subject).toBe(SUBJECTS[template][language]);
        const secret = template === 'member-sign-in-code' ? CODE : LINK;
        expect(mail.text).toContain(secret);
        expect(mail.html).toContain(secret);
        expect(mail.html).toContain(`<html lang="${language}">`);
        if (template !== 'password-reset') {
          expect(mail.text).toContain('Café Niño');
          expect(mail.html).toContain('Café Niño');
        }
      });
    }
  }

  it('writes a language it does not know, or none, in English', async () => {
    for (const language of ['de', '', 'pt-BR']) {
      await messenger.send(message({ language, to: 'unknown.language@example.com' }));
      const mail = await smtp.waitForMessage('unknown.language@example.com');
      expect(mail.subject).toBe(SUBJECTS['member-sign-in-code'].en);
    }
  });

  it('reads regional tags such as fr-BE and es_MX as their language', async () => {
    await messenger.send(message({ language: 'fr-BE', to: 'regional@example.com' }));
    await messenger.send(message({ language: 'es_MX', to: 'regional@example.com' }));
    expect((await smtp.waitForMessage('regional@example.com')).subject).toBe(
      SUBJECTS['member-sign-in-code'].fr,
    );
    expect((await smtp.waitForMessage('regional@example.com')).subject).toBe(
      SUBJECTS['member-sign-in-code'].es,
    );
  });

  it('escapes values in the HTML part and keeps them as written in the text part', async () => {
    const organizationName = 'Bar <script>alert("x")</script> & Co';
    await messenger.send(
      message({
        template: 'staff-invite',
        language: 'en',
        to: 'escape@example.com',
        values: { organizationName, link: 'https://example.com/a?b=1&c="2"' },
      }),
    );
    const mail = await smtp.waitForMessage('escape@example.com');
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('Bar &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co');
    expect(mail.html).toContain('href="https://example.com/a?b=1&amp;c=&quot;2&quot;"');
    expect(mail.text).toContain(organizationName);
  });

  it('refuses a message missing a value the template needs, naming the value', async () => {
    await expect(
      messenger.send(message({ values: { organizationName: 'Café Niño' }, to: 'missing@example.com' })),
    ).rejects.toThrow('the member-sign-in-code message needs the value "code"');
  });

  it('rejects with 503 and a clear reason when the SMTP server refuses the message', async () => {
    smtp.refusing = true;
    try {
      const error = await rejection(messenger.send(message()));
      expect(error.status).toBe(503);
      expect(error.message).toBe('email not sent: the SMTP server refused the message (554)');
      expectNothingSecret(error.message);
    } finally {
      smtp.refusing = false;
    }
  });

  it('rejects when the SMTP password is wrong, without showing it', async () => {
    const wrong = createMessenger({ smtpUrl: smtp.url.replace(encodeURIComponent(SMTP_PASSWORD), 'wrong') });
    const error = await rejection(wrong.send(message()));
    expect(error.code).toBe('service_unavailable');
    expect(error.message).toBe(
      'email not sent: the SMTP server refused the user name and password of SMTP_URL (535)',
    );
    expectNothingSecret(error.message);
    await wrong.close();
  });

  it('rejects when nothing listens at SMTP_URL', async () => {
    const closed = await startSmtpServer();
    await closed.close();
    const unreachable = createMessenger({ smtpUrl: closed.url, timeoutMs: 2000 });
    const error = await rejection(unreachable.send(message()));
    expect(error.message).toBe('email not sent: could not talk to the SMTP server (ESOCKET)');
    await unreachable.close();
  });
});

describe('SMS through an HTTP provider', () => {
  let receiver: TestSmsReceiver;
  let messenger: MessengerService;

  beforeAll(async () => {
    receiver = await startSmsReceiver();
    messenger = createMessenger({
      smsProviderUrl: receiver.url,
      smsProviderToken: SMS_TOKEN,
      timeoutMs: 500,
    });
  });
  afterAll(async () => {
    await messenger.close();
    await receiver.close();
  });

  it('posts {to, text} as JSON with the bearer token, the code in a short text', async () => {
    expect(messenger.channels).toEqual({ email: false, sms: true });
    await messenger.send(message({ channel: 'sms', to: '+34600000001', language: 'fr' }));
    const sms = await receiver.waitForMessage('+34600000001');
    expect(sms.authorization).toBe(`Bearer ${SMS_TOKEN}`);
    expect(sms.text).toBe(`${CODE} est votre code de connexion à Café Niño. Il expire dans 15 min.`);
    expect(sms.text.length).toBeLessThanOrEqual(160);
  });

  it('rejects with the HTTP status when the provider answers an error', async () => {
    receiver.status = 500;
    try {
      const error = await rejection(messenger.send(message({ channel: 'sms', to: '+34600000002' })));
      expect(error.status).toBe(503);
      expect(error.message).toBe('SMS not sent: the provider answered HTTP 500');
      expectNothingSecret(error.message);
    } finally {
      receiver.status = 200;
    }
  });

  it('rejects when the provider does not answer in time', async () => {
    receiver.hang = true;
    try {
      const error = await rejection(messenger.send(message({ channel: 'sms', to: '+34600000003' })));
      expect(error.message).toBe('SMS not sent: the provider did not answer (no complete response in time)');
      expectNothingSecret(error.message);
    } finally {
      receiver.hang = false;
    }
  });
});

describe('without SMTP_URL or SMS_PROVIDER_URL', () => {
  it('refuses to send, naming the missing setting, outside development', async () => {
    const messenger = createMessenger({});
    expect(messenger.channels).toEqual({ email: false, sms: false });
    const email = await rejection(messenger.send(message()));
    expect(email.status).toBe(503);
    expect(email.message).toBe('email is not configured: set SMTP_URL');
    const sms = await rejection(messenger.send(message({ channel: 'sms', to: '+34600000004' })));
    expect(sms.message).toBe('SMS is not configured: set SMS_PROVIDER_URL');
  });

  it('writes the message, code included, to the log in development so a developer can sign in', async () => {
    const logs = captureLogs('info', { allowDevelopmentMessages: true });
    const messenger = createMessenger({
      developmentLog: true,
      logger: pino(logs.options, logs.options.stream),
    });
    await messenger.send(message({ language: 'en' }));
    await messenger.send(message({ channel: 'sms', to: '+34600000005', language: 'en' }));
    const [email, sms] = logs.lines;
    expect(email).toMatchObject({
      level: 30,
      msg: 'not sent: no SMTP_URL. Development only: the message is logged here instead',
      template: 'member-sign-in-code',
      channel: 'email',
      recipient: 'ana@example.com',
      developmentMessage: { subject: SUBJECTS['member-sign-in-code'].en },
    });
    expect((email!.developmentMessage as { text: string }).text).toContain(CODE);
    expect(sms).toMatchObject({
      msg: 'not sent: no SMS_PROVIDER_URL. Development only: the message is logged here instead',
      developmentMessage: { text: `${CODE} is your Café Niño sign-in code. It expires in 15 min.` },
    });
    logs.assertNothingSecret();
  });

  it('counts a logged message as a leak in any log capture that does not expect one', async () => {
    const logs = captureLogs('info');
    const messenger = createMessenger({
      developmentLog: true,
      logger: pino(logs.options, logs.options.stream),
    });
    await messenger.send(message());
    expect(() => logs.assertNothingSecret()).toThrow('1 log lines carry a secret');
  });
});

describe('the organization language', () => {
  let smtp: TestSmtpServer;
  let ctx: TestContext;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    ctx = await createTestContext({ messaging: { smtpUrl: smtp.url } });
  });
  afterAll(async () => {
    await ctx?.close();
    await smtp?.close();
  });

  it("defaults to the country's language: es for ES and MX, fr for FR and BE, en elsewhere", async () => {
    for (const [country, language] of [
      ['ES', 'es'],
      ['MX', 'es'],
      ['FR', 'fr'],
      ['BE', 'fr'],
      ['US', 'en'],
      ['DE', 'en'],
    ] as const) {
      const organization = await ctx.createOrganization({ country });
      const own = await ctx.app.inject({
        method: 'GET',
        url: '/v1/organization',
        headers: organization.headers,
      });
      expectStatus(own, 200);
      expect(own.json().settings.language).toBe(language);
    }
  });

  it('is changed like any setting, and an unknown language is refused naming the field', async () => {
    const organization = await ctx.createOrganization({ country: 'ES' });
    const patch = (settings: Record<string, unknown>) =>
      ctx.app.inject({
        method: 'PATCH',
        url: '/v1/organization',
        headers: organization.headers,
        payload: { settings },
      });
    const changed = await patch({ language: 'fr' });
    expectStatus(changed, 200);
    expect(changed.json().settings.language).toBe('fr');
    const refused = await patch({ language: 'de' });
    expectStatus(refused, 422);
    expect(refused.json().errors[0].path).toBe('body.settings.language');
  });

  it("prefers the recipient's own language, then the setting, then the country", () => {
    const spanish = { country: 'ES', settings: {} };
    expect(languageOf(spanish)).toBe('es');
    expect(languageOf({ ...spanish, settings: { language: 'en' as const } })).toBe('en');
    expect(languageOf(spanish, 'fr')).toBe('fr');
    expect(languageOf(spanish, null)).toBe('es');
    expect(languageOf(spanish, 'de')).toBe('en');
  });

  it("writes the services' messages in the organization's language", async () => {
    const { id } = await ctx.createOrganization({ country: 'FR', name: 'Brasserie Élysée' });
    const organization = await ctx.services.organizations.get(id);
    expect(ctx.services.messaging.channels.email).toBe(true);
    await ctx.services.messaging.send({
      organizationId: id,
      template: 'member-sign-in-code',
      channel: 'email',
      to: 'zoe@example.com',
      language: languageOf(organization),
      values: { organizationName: organization.name, code: CODE },
    });
    const mail = await smtp.waitForMessage('zoe@example.com');
    expect(mail.subject).toBe(`${CODE} est votre code de connexion à Brasserie Élysée`);
  });
});
