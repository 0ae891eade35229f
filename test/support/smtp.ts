import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { createMailbox } from './mailbox.ts';

/**
 * A real SMTP server on 127.0.0.1 (an ephemeral port) that keeps what it receives, for tests
 * that need to read an email the app sent (an invite link, a sign-in code):
 *
 *   const smtp = await startSmtpServer();
 *   const context = await createTestContext({ messaging: { smtpUrl: smtp.url } });
 *   … the app sends something to ana@example.com …
 *   const mail = await smtp.waitForMessage('ana@example.com');
 *   mail.subject; mail.text; mail.html   // decoded, UTF-8
 *   await smtp.close();
 *
 * `waitForMessage(to)` returns the oldest message to `to` that no earlier call returned, waiting
 * for it when none is there yet (5 s by default), so two calls read two emails in order.
 * `startSmtpServer({ user, password })` requires those credentials (the `url` carries them);
 * `smtp.refusing = true` makes it answer every message with 554 (a server refusing mail).
 */
export interface ReceivedMail {
  /** The envelope's recipients (RCPT TO), lower case. */
  to: string[];
  /** The From header as written. */
  from: string;
  subject: string;
  /** The text/plain part, decoded. */
  text: string;
  /** The text/html part, decoded ('' when there is none). */
  html: string;
  /** Every header, names lower case, values unfolded and decoded. */
  headers: Record<string, string>;
  /** The message exactly as it arrived. */
  raw: string;
}

export interface TestSmtpServer {
  /** smtp://[user:password@]127.0.0.1:port: what SMTP_URL would be. */
  url: string;
  port: number;
  /** Every message received, oldest first. */
  messages: ReceivedMail[];
  /** Answer every message with 554 while true. */
  refusing: boolean;
  waitForMessage(to: string, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

export async function startSmtpServer(
  credentials: { user?: string; password?: string } = {},
): Promise<TestSmtpServer> {
  const mailbox = createMailbox<ReceivedMail>((mail, to) => mail.to.includes(to.toLowerCase()), 'email');
  const needsAuth = credentials.user !== undefined;

  const server = new SMTPServer({
    // Plain SMTP on loopback: no STARTTLS to offer, so nodemailer needs no certificate.
    disabledCommands: needsAuth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !needsAuth,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === credentials.user && auth.password === credentials.password) {
        callback(null, { user: auth.username });
      } else {
        callback(new Error('Invalid username or password'));
      }
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (smtp.refusing) {
          const refusal = Object.assign(new Error('Message refused'), { responseCode: 554 });
          callback(refusal);
          return;
        }
        const to = session.envelope.rcptTo.map((recipient) => recipient.address.toLowerCase());
        mailbox.deliver(parseMail(Buffer.concat(chunks).toString('latin1'), to));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  const auth = needsAuth
    ? `${encodeURIComponent(credentials.user!)}:${encodeURIComponent(credentials.password ?? '')}@`
    : '';

  const smtp: TestSmtpServer = {
    url: `smtp://${auth}127.0.0.1:${port}`,
    port,
    messages: mailbox.messages,
    refusing: false,
    waitForMessage: mailbox.waitForMessage,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return smtp;
}

/**
 * Reads an RFC 5322 message as nodemailer writes it: headers (RFC 2047 encoded words), a single
 * part or nested multipart bodies, quoted-printable, base64 or 7/8-bit parts. `raw` is the
 * message in latin1 (one character per byte), so decoding to UTF-8 happens once, per part.
 */
export function parseMail(raw: string, to: string[]): ReceivedMail {
  const { headers, body } = splitEntity(raw);
  const parts: { type: string; content: string }[] = [];
  collectParts(headers, body, parts);
  return {
    to,
    from: headers.from ?? '',
    subject: headers.subject ?? '',
    text: parts.find((part) => part.type === 'text/plain')?.content ?? '',
    html: parts.find((part) => part.type === 'text/html')?.content ?? '',
    headers,
    raw: Buffer.from(raw, 'latin1').toString('utf8'),
  };
}

function splitEntity(entity: string): { headers: Record<string, string>; body: string } {
  const end = entity.indexOf('\r\n\r\n');
  const head = end === -1 ? entity : entity.slice(0, end);
  const body = end === -1 ? '' : entity.slice(end + 4);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = decodeWords(line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function collectParts(
  headers: Record<string, string>,
  body: string,
  parts: { type: string; content: string }[],
): void {
  const contentType = headers['content-type'] ?? 'text/plain';
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type.startsWith('multipart/')) {
    const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
    if (!boundary) return;
    const sections = body.split(`--${boundary}`).slice(1);
    for (const section of sections) {
      if (section.startsWith('--')) break;
      const part = splitEntity(section.replace(/^\r\n/, ''));
      collectParts(part.headers, part.body.replace(/\r\n$/, ''), parts);
    }
    return;
  }
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  const bytes =
    encoding === 'base64'
      ? Buffer.from(body.replace(/\s+/g, ''), 'base64')
      : encoding === 'quoted-printable'
        ? decodeQuotedPrintable(body)
        : Buffer.from(body, 'latin1');
  parts.push({ type, content: bytes.toString('utf8') });
}

function decodeQuotedPrintable(text: string): Buffer {
  const unwrapped = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let index = 0; index < unwrapped.length; index++) {
    const hex = unwrapped.slice(index + 1, index + 3);
    if (unwrapped[index] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      index += 2;
    } else {
      bytes.push(unwrapped.charCodeAt(index));
    }
  }
  return Buffer.from(bytes);
}

/** RFC 2047: `=?UTF-8?Q?caf=C3=A9?=` and `=?UTF-8?B?…?=`; whitespace between two encoded words goes. */
function decodeWords(value: string): string {
  const joined = value.replace(/(\?=)\s+(=\?)/g, '$1$2');
  const decoded = joined.replace(
    /=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g,
    (_word, _charset, kind: string, data: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('latin1')
        : decodeQuotedPrintable(data.replace(/_/g, ' ')).toString('latin1'),
  );
  // Header text outside encoded words is ASCII or raw UTF-8 (SMTPUTF8); both read back as UTF-8.
  return Buffer.from(decoded, 'latin1').toString('utf8');
}
