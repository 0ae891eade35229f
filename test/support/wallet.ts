import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Wallet signing material made fresh by the test (never committed): a CA playing Apple's WWDR
 * intermediate, a Pass Type ID certificate it issued, an APNs `.p8`-style key and a Google service
 * account key. Written to a temporary directory, removed by `remove()`.
 */
export interface WalletMaterial {
  dir: string;
  passTypeId: string;
  teamId: string;
  /** Paths of the PEM files. */
  wwdrPath: string;
  certificatePath: string;
  keyPath: string;
  apnsKeyPath: string;
  apnsKeyId: string;
  /** The APNs key's public half (PEM), to verify the pushes' tokens. */
  apnsPublicKey: string;
  googleIssuerId: string;
  googleClientEmail: string;
  googlePublicKey: string;
  serviceAccountPath: string;
  /** The environment a server needs for both wallets; the API hosts are the caller's stand-ins. */
  env(hosts: { apns?: string; google?: string; tokenUri?: string }): Record<string, string>;
  remove(): void;
}

const openssl = (args: string[], cwd: string) =>
  execFileSync('/usr/bin/openssl', args, { cwd, stdio: 'pipe' });

export function makeWalletMaterial(options: { days?: number } = {}): WalletMaterial {
  const dir = mkdtempSync(join(tmpdir(), 'regulars-wallet-'));
  const passTypeId = 'pass.test.regulars';
  const teamId = 'TEAM123456';
  const days = String(options.days ?? 30);
  openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'wwdr-key.pem', '-out', 'wwdr.pem']
      .concat(['-days', '60', '-subj', '/CN=Test WWDR/O=Regulars tests/C=US'])
      .concat([
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ]),
    dir,
  );
  openssl(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'pass-key.pem', '-out', 'pass.csr', '-subj'].concat([
      `/UID=${passTypeId}/CN=Pass Type ID: ${passTypeId}/OU=${teamId}/O=Regulars tests/C=US`,
    ]),
    dir,
  );
  writeFileSync(join(dir, 'ext.cnf'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n');
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'pass.csr',
      '-CA',
      'wwdr.pem',
      '-CAkey',
      'wwdr-key.pem',
      '-CAcreateserial',
    ].concat(['-out', 'pass.pem', '-days', days, '-extfile', 'ext.cnf']),
    dir,
  );
  rmSync(join(dir, 'wwdr-key.pem'));
  const apns = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(join(dir, 'apns.p8'), apns.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const google = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const googleClientEmail = 'wallet@regulars-test.iam.gserviceaccount.com';
  const serviceAccountPath = join(dir, 'service-account.json');
  const account = (tokenUri: string) => ({
    type: 'service_account',
    client_email: googleClientEmail,
    private_key: google.privateKey.export({ type: 'pkcs8', format: 'pem' }),
    token_uri: tokenUri,
  });
  writeFileSync(serviceAccountPath, JSON.stringify(account('https://oauth2.googleapis.com/token')));
  const material: WalletMaterial = {
    dir,
    passTypeId,
    teamId,
    wwdrPath: join(dir, 'wwdr.pem'),
    certificatePath: join(dir, 'pass.pem'),
    keyPath: join(dir, 'pass-key.pem'),
    apnsKeyPath: join(dir, 'apns.p8'),
    apnsKeyId: 'KEY1234567',
    apnsPublicKey: apns.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    googleIssuerId: '3388000000022222222',
    googleClientEmail,
    googlePublicKey: google.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    serviceAccountPath,
    env(hosts) {
      if (hosts.tokenUri) writeFileSync(serviceAccountPath, JSON.stringify(account(hosts.tokenUri)));
      return {
        APPLE_PASS_TYPE_ID: passTypeId,
        APPLE_TEAM_ID: teamId,
        APPLE_PASS_CERTIFICATE: material.certificatePath,
        APPLE_PASS_KEY: material.keyPath,
        APPLE_WWDR_CERTIFICATE: material.wwdrPath,
        APPLE_APNS_KEY: material.apnsKeyPath,
        APPLE_APNS_KEY_ID: material.apnsKeyId,
        ...(hosts.apns ? { APPLE_APNS_HOST: hosts.apns } : {}),
        GOOGLE_WALLET_ISSUER_ID: material.googleIssuerId,
        GOOGLE_WALLET_SERVICE_ACCOUNT: serviceAccountPath,
        ...(hosts.google ? { GOOGLE_WALLET_API_URL: hosts.google } : {}),
      };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  return material;
}

/** The entries of a .pkpass (a zip), read with Debian's unzip. */
export function unzipPass(pkpass: Buffer): Map<string, Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'regulars-pkpass-'));
  try {
    writeFileSync(join(dir, 'pass.pkpass'), pkpass);
    const names = execFileSync('/usr/bin/unzip', ['-Z1', 'pass.pkpass'], { cwd: dir })
      .toString()
      .trim()
      .split('\n');
    execFileSync('/usr/bin/unzip', ['-q', 'pass.pkpass', '-d', 'out'], { cwd: dir });
    return new Map(names.map((name) => [name, readFileSync(join(dir, 'out', name))]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `openssl smime -verify` of the pass's detached PKCS#7 signature over manifest.json, against the test CA. */
export function verifyPassSignature(entries: Map<string, Buffer>, wwdrPath: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'regulars-sig-'));
  try {
    writeFileSync(join(dir, 'signature'), entries.get('signature') ?? Buffer.alloc(0));
    writeFileSync(join(dir, 'manifest.json'), entries.get('manifest.json') ?? Buffer.alloc(0));
    return execFileSync(
      '/usr/bin/openssl',
      [
        'smime',
        '-verify',
        '-binary',
        '-inform',
        'DER',
        '-in',
        'signature',
        '-content',
        'manifest.json',
      ].concat(['-CAfile', wwdrPath, '-purpose', 'any', '-out', '/dev/null']),
      { cwd: dir, stdio: 'pipe' },
    ).toString();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
