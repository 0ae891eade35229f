import { type ClientHttp2Session, connect } from 'node:http2';
import { importPKCS8, SignJWT } from 'jose';
import type { ApnsSettings } from './config.ts';

/**
 * Apple Push Notification service over HTTP/2 with token authentication: an ES256 JWT signed
 * with the team's `.p8` key, reused for 40 minutes (Apple refuses tokens older than an hour and
 * throttles ones renewed more often than every 20). A pass update push has an empty payload and
 * the pass type id as its topic; the device then asks the web service what changed.
 */

export interface ApnsAnswer {
  status: number;
  /** Apple's `reason` (`BadDeviceToken`, `Unregistered`…) when it said one. */
  reason: string | undefined;
}

const TOKEN_LIFETIME_MS = 40 * 60_000;
const TIMEOUT_MS = 10_000;

export function createApnsClient(settings: ApnsSettings & { teamId: string; topic: string }) {
  let session: ClientHttp2Session | undefined;
  let token: { value: string; madeAt: number } | undefined;

  async function bearer(): Promise<string> {
    if (token && Date.now() - token.madeAt < TOKEN_LIFETIME_MS) return token.value;
    const key = await importPKCS8(settings.key, 'ES256');
    const value = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: settings.keyId })
      .setIssuer(settings.teamId)
      .setIssuedAt()
      .sign(key);
    token = { value, madeAt: Date.now() };
    return value;
  }

  function open(): ClientHttp2Session {
    if (session && !session.closed && !session.destroyed) return session;
    const opened = connect(settings.host);
    opened.on('error', () => opened.destroy());
    // An idle connection must not keep the process alive.
    opened.unref();
    session = opened;
    return opened;
  }

  return {
    async push(pushToken: string): Promise<ApnsAnswer> {
      const authorization = `bearer ${await bearer()}`;
      return new Promise<ApnsAnswer>((resolve, reject) => {
        const request = open().request({
          ':method': 'POST',
          ':path': `/3/device/${encodeURIComponent(pushToken)}`,
          authorization,
          'apns-topic': settings.topic,
          'apns-push-type': 'background',
          'apns-priority': '5',
          'content-type': 'application/json',
        });
        request.setTimeout(TIMEOUT_MS, () => request.close());
        let status = 0;
        let body = '';
        request.on('response', (headers) => {
          status = Number(headers[':status']);
        });
        request.setEncoding('utf8');
        request.on('data', (chunk: string) => {
          if (body.length < 1000) body += chunk;
        });
        request.on('end', () => resolve({ status, reason: reasonOf(body) }));
        request.on('error', reject);
        request.on('close', () => {
          if (status === 0) reject(new Error('APNs closed the stream without an answer'));
        });
        request.end('{}');
      });
    },
    close() {
      session?.close();
    },
  };
}

function reasonOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { reason?: unknown };
    return typeof parsed.reason === 'string' ? parsed.reason : undefined;
  } catch {
    return undefined;
  }
}

export type ApnsClient = ReturnType<typeof createApnsClient>;
