import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMailbox } from './mailbox.ts';

/**
 * A local HTTP server standing in for an SMS provider (SMS_PROVIDER_URL): it records every
 * POSTed {to, text} with its Authorization header and answers `receiver.status` (200 unless a
 * test changes it), or nothing at all while `receiver.hang` is true.
 *
 *   const sms = await startSmsReceiver();
 *   … createTestContext({ messaging: { smsProviderUrl: sms.url } }) …
 *   const { text } = await sms.waitForMessage('+34600000001');
 */
export interface ReceivedSms {
  to: string;
  text: string;
  authorization: string | undefined;
}

export interface TestSmsReceiver {
  url: string;
  messages: ReceivedSms[];
  status: number;
  hang: boolean;
  /** The oldest message to `to` no earlier call returned, waited for (5 s by default). */
  waitForMessage(to: string, timeoutMs?: number): Promise<ReceivedSms>;
  close(): Promise<void>;
}

export async function startSmsReceiver(): Promise<TestSmsReceiver> {
  const mailbox = createMailbox<ReceivedSms>((sms, to) => sms.to === to, 'SMS');
  const hanging = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { to: string; text: string };
      mailbox.deliver({ to: body.to, text: body.text, authorization: request.headers.authorization });
      if (receiver.hang) {
        hanging.add(response);
        return;
      }
      response.writeHead(receiver.status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const receiver: TestSmsReceiver = {
    url: `http://127.0.0.1:${port}/sms`,
    messages: mailbox.messages,
    status: 200,
    hang: false,
    waitForMessage: mailbox.waitForMessage,
    async close() {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return receiver;
}
