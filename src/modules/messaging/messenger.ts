import nodemailer from 'nodemailer';
import { AppError } from '../../errors.ts';
import { createOutboundClient, OutboundError } from '../../http/outbound.ts';
import { type RenderedMessage, renderMessage } from './render.ts';
import type { MessageChannel, Messenger, OutgoingMessage } from './types.ts';

export const DEFAULT_MAIL_FROM = 'Regulars <no-reply@localhost>';
const DEFAULT_TIMEOUT_MS = 10_000;

/** Where log lines of the development fallback go: a pino logger (app.log) fits. */
export interface MessagingLogger {
  info(fields: Record<string, unknown>, message: string): void;
}

export interface MessengerOptions {
  /** smtp://user:pass@host:587 (STARTTLS when offered) or smtps://…:465; absent = no email. */
  smtpUrl?: string | undefined;
  /** The From of every email (MAIL_FROM); default `Regulars <no-reply@localhost>`. */
  mailFrom?: string | undefined;
  /** Where SMS go: POST {"to", "text"} as JSON; absent = no SMS. */
  smsProviderUrl?: string | undefined;
  /** Sent as `Authorization: Bearer <token>` to the SMS provider. */
  smsProviderToken?: string | undefined;
  /** How long one delivery may take (connect, greeting, answer) before it fails; default 10 s. */
  timeoutMs?: number | undefined;
  /**
   * Development only: a message for a channel that is not configured is written to `logger`
   * (code and link included, so a developer can sign in) instead of failing. Off, such a message
   * is refused with 503 naming the missing setting: what production does.
   */
  developmentLog?: boolean | undefined;
  logger?: MessagingLogger | undefined;
}

export interface MessengerService extends Messenger {
  /** Lets go of the SMS provider's connections. */
  close(): Promise<void>;
}

const SETTING_OF: Record<MessageChannel, string> = { email: 'SMTP_URL', sms: 'SMS_PROVIDER_URL' };

/**
 * Delivers messages: email through SMTP (nodemailer), SMS through an HTTP provider. A failure
 * rejects with AppError('service_unavailable') whose message says what failed without the
 * message's contents, the recipient or any credential; nothing here logs a message outside the
 * development fallback.
 */
export function createMessenger(options: MessengerOptions = {}): MessengerService {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const mail = options.smtpUrl
    ? nodemailer.createTransport(
        {
          url: options.smtpUrl,
          connectionTimeout: timeoutMs,
          greetingTimeout: timeoutMs,
          socketTimeout: timeoutMs,
        },
        { from: options.mailFrom || DEFAULT_MAIL_FROM },
      )
    : undefined;
  // The provider is the operator's own setting, so private addresses (a gateway on the LAN) are fine.
  const sms = options.smsProviderUrl
    ? createOutboundClient({ allowPrivate: true, timeoutMs, maxResponseBytes: 1024 })
    : undefined;
  const channels = { email: mail !== undefined, sms: sms !== undefined };

  async function sendEmail(to: string, rendered: RenderedMessage): Promise<void> {
    try {
      await mail!.sendMail({ to, subject: rendered.subject, text: rendered.text, html: rendered.html });
    } catch (error) {
      throw new AppError('service_unavailable', `email not sent: ${smtpFailure(error)}`);
    }
  }

  async function sendSms(to: string, rendered: RenderedMessage): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.smsProviderToken) headers.authorization = `Bearer ${options.smsProviderToken}`;
    let status: number;
    try {
      const response = await sms!.send({
        method: 'POST',
        url: options.smsProviderUrl!,
        headers,
        body: JSON.stringify({ to, text: rendered.sms }),
      });
      status = response.status;
    } catch (error) {
      const reason = error instanceof OutboundError ? error.message : 'the request failed';
      throw new AppError('service_unavailable', `SMS not sent: the provider did not answer (${reason})`);
    }
    if (status < 200 || status > 299) {
      throw new AppError('service_unavailable', `SMS not sent: the provider answered HTTP ${status}`);
    }
  }

  return {
    channels,
    async send(message: OutgoingMessage) {
      const rendered = renderMessage(message.template, message.language, message.values);
      if (!channels[message.channel]) {
        const setting = SETTING_OF[message.channel];
        if (!options.developmentLog || !options.logger) {
          throw new AppError(
            'service_unavailable',
            `${message.channel === 'email' ? 'email' : 'SMS'} is not configured: set ${setting}`,
          );
        }
        options.logger.info(
          {
            organizationId: message.organizationId,
            template: message.template,
            channel: message.channel,
            recipient: message.to,
            developmentMessage: {
              subject: rendered.subject,
              text: message.channel === 'sms' ? rendered.sms : rendered.text,
            },
          },
          `not sent: no ${setting}. Development only: the message is logged here instead`,
        );
        return;
      }
      if (message.channel === 'email') await sendEmail(message.to, rendered);
      else await sendSms(message.to, rendered);
    },
    async close() {
      mail?.close();
      await sms?.close();
    },
  };
}

/**
 * Why nodemailer failed, from its error's code and the server's reply code only: its message
 * may quote the server's reply, which can name the recipient.
 */
function smtpFailure(error: unknown): string {
  const { code, responseCode } = error as { code?: unknown; responseCode?: unknown };
  const reply = typeof responseCode === 'number' ? ` (${responseCode})` : '';
  switch (code) {
    case 'EAUTH':
      return `the SMTP server refused the user name and password of SMTP_URL${reply}`;
    case 'EENVELOPE':
      return `the SMTP server refused the sender or the recipient${reply}`;
    case 'EMESSAGE':
      return `the SMTP server refused the message${reply}`;
    case 'ETIMEDOUT':
      return 'the SMTP server did not answer in time';
    case 'ECONNECTION':
    case 'ESOCKET':
    case 'EDNS':
    case 'ETLS':
      return `could not talk to the SMTP server (${code})`;
    default:
      return `the SMTP server failed${typeof code === 'string' ? ` (${code})` : ''}${reply}`;
  }
}
