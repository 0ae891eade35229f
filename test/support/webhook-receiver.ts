import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verify } from '../../src/modules/webhooks/signing.ts';

/** One request the receiver got, with whether its Standard Webhooks signature verified. */
export interface ReceivedWebhook {
  webhookId: string;
  timestamp: string;
  signature: string;
  headers: IncomingHttpHeaders;
  body: string;
  event: {
    id: string;
    type: string;
    subject: { type: string; id: string };
    payload: Record<string, unknown>;
  };
  /** Verified with one of `receiver.secrets` (at `receiver.now()`, 5 minutes of tolerance). */
  verified: boolean;
  /** What the receiver answered (`hang` = nothing until released). */
  answer: number | 'hang';
}

export type Answer =
  | number
  | 'hang'
  | { status: number; body?: string; headers?: Record<string, string>; delayMs?: number };

/**
 * A real HTTP server on 127.0.0.1 standing in for a subscriber. It verifies each request's
 * signature like a receiver would, records everything, and answers what the test says:
 * a status, a body, or nothing at all (`hang`) until `releaseHanging()`.
 */
export interface WebhookReceiver {
  url: string;
  port: number;
  received: ReceivedWebhook[];
  /** Secrets a signature may verify with (the endpoint's, once created). */
  secrets: string[];
  /** "Now" for the timestamp check: the worker's clock in tests that move time. */
  now: () => Date;
  answer: (hook: ReceivedWebhook) => Answer;
  /** Resolves when `count` requests have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  /** Answers every hanging request with `status`. */
  releaseHanging(status?: number): void;
  /** Stops listening and drops open connections: the next attempt gets "connection refused". */
  goDown(): Promise<void>;
  /** Listens again on the same port. */
  comeBack(): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<WebhookReceiver> {
  const hanging = new Set<ServerResponse>();
  const waiters: { count: number; resolve: () => void }[] = [];
  let server: Server;
  let port = 0;

  const receiver: WebhookReceiver = {
    url: '',
    port: 0,
    received: [],
    secrets: [],
    now: () => new Date(),
    answer: () => 200,
    async waitFor(count, timeoutMs = 10_000) {
      if (receiver.received.length >= count) return;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`receiver got ${receiver.received.length} of ${count} requests`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    releaseHanging(status = 200) {
      for (const response of hanging) response.writeHead(status).end();
      hanging.clear();
    },
    async goDown() {
      for (const response of hanging) response.destroy();
      hanging.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async comeBack() {
      await listen(port);
    },
    async close() {
      await receiver.goDown();
    },
  };

  function handle(body: string, headers: IncomingHttpHeaders, response: ServerResponse) {
    const header = (name: string) => {
      const value = headers[name];
      return typeof value === 'string' ? value : '';
    };
    const signed = {
      'webhook-id': header('webhook-id'),
      'webhook-timestamp': header('webhook-timestamp'),
      'webhook-signature': header('webhook-signature'),
    };
    const nowSeconds = Math.floor(receiver.now().getTime() / 1000);
    const hook: ReceivedWebhook = {
      webhookId: signed['webhook-id'],
      timestamp: signed['webhook-timestamp'],
      signature: signed['webhook-signature'],
      headers,
      body,
      event: JSON.parse(body),
      verified: receiver.secrets.some((secret) => verify(secret, signed, body, nowSeconds)),
      answer: 200,
    };
    const answer = receiver.answer(hook);
    hook.answer = typeof answer === 'object' ? answer.status : answer;
    receiver.received.push(hook);
    for (const waiter of waiters.filter((entry) => receiver.received.length >= entry.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    if (answer === 'hang') {
      hanging.add(response);
      return;
    }
    if (typeof answer === 'number') {
      response.writeHead(answer).end();
      return;
    }
    const send = () => response.writeHead(answer.status, answer.headers).end(answer.body ?? '');
    if (answer.delayMs) setTimeout(send, answer.delayMs);
    else send();
  }

  async function listen(onPort: number) {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => handle(Buffer.concat(chunks).toString('utf8'), request.headers, response));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(onPort, '127.0.0.1', () => resolve());
    });
    port = (server.address() as AddressInfo).port;
    receiver.port = port;
    receiver.url = `http://127.0.0.1:${port}/hooks`;
  }

  await listen(0);
  return receiver;
}
