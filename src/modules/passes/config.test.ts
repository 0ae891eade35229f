import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWalletMaterial, type WalletMaterial } from '../../../test/support/wallet.ts';
import { ConfigError, loadConfig } from '../../config.ts';
import { checkPasses } from './check.ts';

let material: WalletMaterial;
beforeAll(() => {
  material = makeWalletMaterial();
});
afterAll(() => material.remove());

describe('wallet pass configuration', () => {
  it('leaves both wallets off when nothing is set', () => {
    expect(loadConfig({}).passes).toEqual({ apple: undefined, google: undefined });
  });

  it('reads certificates and keys from paths or inline PEM', () => {
    const env = material.env({ apns: 'http://127.0.0.1:1' });
    const inline = { ...env, APPLE_PASS_CERTIFICATE: readFileSync(material.certificatePath, 'utf8') };
    const { apple, google } = loadConfig(inline).passes;
    expect(apple?.certificate).toContain('-----BEGIN CERTIFICATE-----');
    expect(apple?.key).toContain('PRIVATE KEY');
    expect(apple?.apns).toMatchObject({ keyId: material.apnsKeyId, host: 'http://127.0.0.1:1' });
    expect(google).toMatchObject({
      issuerId: material.googleIssuerId,
      apiUrl: 'https://walletobjects.googleapis.com',
    });
    expect(google?.serviceAccount.clientEmail).toBe(material.googleClientEmail);
  });

  it('refuses to start with a partly configured wallet, naming what is missing', () => {
    const env = { APPLE_PASS_TYPE_ID: 'pass.x', APPLE_TEAM_ID: 'T', GOOGLE_WALLET_ISSUER_ID: '1' };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(
      /Apple Wallet is partly configured: APPLE_PASS_CERTIFICATE, APPLE_PASS_KEY, APPLE_WWDR_CERTIFICATE are missing/,
    );
    expect(() => loadConfig(env)).toThrow(
      /Google Wallet is partly configured: GOOGLE_WALLET_SERVICE_ACCOUNT is missing/,
    );
    expect(() => loadConfig({ ...material.env({}), APPLE_WWDR_CERTIFICATE: '/nowhere/wwdr.pem' })).toThrow(
      /APPLE_WWDR_CERTIFICATE: cannot read \/nowhere\/wwdr.pem \(ENOENT\)/,
    );
  });

  it('passes check accepts good material and names each mismatch', () => {
    const good = checkPasses(material.env({}));
    expect(good.ok).toBe(true);
    expect(good.lines.join('\n')).toMatch(/APPLE_PASS_CERTIFICATE valid until/);

    const wrong = checkPasses({
      ...material.env({}),
      APPLE_TEAM_ID: 'OTHERTEAM1',
      APPLE_PASS_TYPE_ID: 'pass.other',
      APPLE_PASS_KEY: material.apnsKeyPath,
      APPLE_WWDR_CERTIFICATE: material.certificatePath,
    });
    expect(wrong.ok).toBe(false);
    const text = wrong.lines.join('\n');
    expect(text).toMatch(/APPLE_PASS_KEY is not the private key of APPLE_PASS_CERTIFICATE/);
    expect(text).toMatch(/APPLE_TEAM_ID is OTHERTEAM1 but the certificate belongs to team TEAM123456/);
    expect(text).toMatch(/APPLE_PASS_TYPE_ID is pass.other but the certificate is for pass.test.regulars/);
    expect(text).toMatch(/APPLE_WWDR_CERTIFICATE did not issue APPLE_PASS_CERTIFICATE/);
  });

  it('passes check reports an expired certificate and what is missing', () => {
    const later = new Date(Date.now() + 90 * 86_400_000);
    const expired = checkPasses(material.env({}), later);
    expect(expired.lines.join('\n')).toMatch(/✗ APPLE_PASS_CERTIFICATE expired on/);
    const partial = checkPasses({ GOOGLE_WALLET_ISSUER_ID: '123' });
    expect(partial.ok).toBe(false);
    expect(partial.lines.join('\n')).toMatch(/GOOGLE_WALLET_SERVICE_ACCOUNT is missing/);
    expect(partial.lines.join('\n')).toMatch(/Apple Wallet off: set APPLE_PASS_TYPE_ID/);
  });
});
