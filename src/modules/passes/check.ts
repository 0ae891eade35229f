import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { type AppleSettings, type GoogleSettings, PASSES_VARIABLES, readPassesConfig } from './config.ts';

/**
 * `regulars passes check`: what a wallet lacks, and what is wrong with the material it was given
 * (expired or not-yet-valid certificates, a key that is not the certificate's, a certificate made
 * for another team or pass type, a signing certificate the WWDR certificate did not issue).
 */

export interface PassesCheck {
  ok: boolean;
  lines: string[];
}

const WEEK_MS = 7 * 86_400_000;

function certificate(name: string, text: string, now: Date, problems: string[], notes: string[]) {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(text);
  } catch {
    problems.push(`${name}: not a readable X.509 certificate`);
    return undefined;
  }
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  if (to <= now) problems.push(`${name} expired on ${to.toISOString()}`);
  else if (from > now) problems.push(`${name} is not valid before ${from.toISOString()}`);
  else if (to.getTime() - now.getTime() < 4 * WEEK_MS)
    notes.push(`${name} expires soon: ${to.toISOString()}`);
  else notes.push(`${name} valid until ${to.toISOString()}`);
  return cert;
}

function privateKey(name: string, text: string, passphrase: string | undefined, problems: string[]) {
  try {
    return createPrivateKey(passphrase === undefined ? text : { key: text, passphrase });
  } catch {
    problems.push(
      `${name}: not a readable private key${passphrase === undefined ? ' (is it encrypted? set APPLE_PASS_KEY_PASSPHRASE)' : ' with APPLE_PASS_KEY_PASSPHRASE'}`,
    );
    return undefined;
  }
}

/** The subject's attributes (`UID`, `OU`, `CN`…), one per line in Node's rendering. */
function subjectField(cert: X509Certificate, field: string): string | undefined {
  const line = cert.subject.split('\n').find((entry) => entry.startsWith(`${field}=`));
  return line?.slice(field.length + 1);
}

export function checkApple(apple: AppleSettings, now: Date, problems: string[], notes: string[]) {
  const cert = certificate('APPLE_PASS_CERTIFICATE', apple.certificate, now, problems, notes);
  const key = privateKey('APPLE_PASS_KEY', apple.key, apple.keyPassphrase, problems);
  const wwdr = certificate('APPLE_WWDR_CERTIFICATE', apple.wwdr, now, problems, notes);
  if (cert && key && !cert.checkPrivateKey(key))
    problems.push('APPLE_PASS_KEY is not the private key of APPLE_PASS_CERTIFICATE');
  if (cert) {
    const team = subjectField(cert, 'OU');
    if (team !== apple.teamId)
      problems.push(
        `APPLE_TEAM_ID is ${apple.teamId} but the certificate belongs to team ${team ?? '(none)'}`,
      );
    const uid = subjectField(cert, 'UID');
    if (uid !== apple.passTypeId)
      problems.push(
        `APPLE_PASS_TYPE_ID is ${apple.passTypeId} but the certificate is for ${uid ?? '(none)'}`,
      );
  }
  if (cert && wwdr && !cert.checkIssued(wwdr))
    problems.push(
      'APPLE_WWDR_CERTIFICATE did not issue APPLE_PASS_CERTIFICATE (use the WWDR G4 certificate)',
    );
  if (!apple.apns) {
    notes.push(
      `APNs not configured: passes are issued but never updated on devices (set ${PASSES_VARIABLES.apns.join(', ')})`,
    );
    return;
  }
  const apnsKey = privateKey('APPLE_APNS_KEY', apple.apns.key, undefined, problems);
  if (apnsKey && !isP256(apnsKey))
    problems.push('APPLE_APNS_KEY is not an EC P-256 key (the .p8 file from Apple)');
  if (!/^[A-Z0-9]{10}$/.test(apple.apns.keyId))
    problems.push('APPLE_APNS_KEY_ID must be the 10-character key id');
  notes.push(`APNs: ${apple.apns.host}`);
}

const isP256 = (key: KeyObject) =>
  key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';

export function checkGoogle(google: GoogleSettings, problems: string[], notes: string[]) {
  const key = privateKey(
    'GOOGLE_WALLET_SERVICE_ACCOUNT private_key',
    google.serviceAccount.privateKey,
    undefined,
    problems,
  );
  if (key && key.asymmetricKeyType !== 'rsa')
    problems.push('GOOGLE_WALLET_SERVICE_ACCOUNT private_key is not an RSA key');
  notes.push(
    `Google Wallet issuer ${google.issuerId} as ${google.serviceAccount.clientEmail}, API ${google.apiUrl}`,
  );
}

export function checkPasses(env: NodeJS.ProcessEnv, now = new Date()): PassesCheck {
  const { config, problems } = readPassesConfig(env);
  const notes: string[] = [];
  if (config.apple) checkApple(config.apple, now, problems, notes);
  else if (!problems.some((line) => line.startsWith('Apple')))
    notes.push(`Apple Wallet off: set ${PASSES_VARIABLES.apple.join(', ')}`);
  if (config.google) checkGoogle(config.google, problems, notes);
  else if (!problems.some((line) => line.startsWith('Google')))
    notes.push(`Google Wallet off: set ${PASSES_VARIABLES.google.join(', ')}`);
  return {
    ok: problems.length === 0,
    lines: [...problems.map((line) => `✗ ${line}`), ...notes.map((line) => `· ${line}`)],
  };
}
