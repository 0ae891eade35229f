import { generateSecret, generateURI, verify } from 'otplib';

/**
 * The second factor: RFC 6238 codes (SHA-1, 6 digits, 30 s), what every authenticator app reads.
 * One step of clock drift either way is allowed; a code is accepted once (replays are refused by
 * the last accepted time step the caller keeps).
 */
const ISSUER = 'Regulars';
const DRIFT_SECONDS = 30;

export function newTotpSecret(): string {
  return generateSecret();
}

/** The `otpauth://` URL an authenticator app reads from a QR code. */
export function totpUrl(secret: string, label: string): string {
  return generateURI({ issuer: ISSUER, label, secret });
}

/** The time step the code belongs to, or undefined when it is wrong or was used already. */
export async function acceptedStep(
  secret: string,
  code: string,
  lastStep: number | null,
  now = new Date(),
): Promise<number | undefined> {
  if (!/^\d{6}$/.test(code)) return undefined;
  const result = await verify({
    secret,
    token: code,
    epoch: Math.floor(now.getTime() / 1000),
    epochTolerance: DRIFT_SECONDS,
    ...(lastStep === null ? {} : { afterTimeStep: lastStep }),
  }).catch(() => ({ valid: false as const }));
  // The TOTP result carries its time step (the HOTP one, in the same union, a counter instead).
  return result.valid && 'timeStep' in result ? result.timeStep : undefined;
}
