import { PKPass } from 'passkit-generator';
import { LANGUAGES } from '../../domain/languages.ts';
import type { AppleSettings } from './config.ts';
import { displayPoints, type PassContent } from './content.ts';
import { rgb, solidPng } from './images.ts';
import { PASS_STRINGS } from './strings.ts';

const DEFAULT_BACKGROUND = '#1f2937';
const DEFAULT_FOREGROUND = '#ffffff';
const DEFAULT_LABEL = '#d1d5db';

export interface PassWebService {
  /** The base URL Wallet calls (`…/v1/devices/…`, `…/v1/passes/…`, `…/v1/log`). */
  url: string;
  /** This pass's secret for the web service (sent back as `ApplePass <token>`). */
  authenticationToken: string;
}

/**
 * The member's card as a signed `.pkpass` (storeCard): the organization's colours and logo, the
 * card number as a QR code, balances, tier and nearest expiry. Labels are keys translated in
 * es/en/fr `.lproj/pass.strings`; Wallet picks the phone's language.
 */
export function buildApplePass(apple: AppleSettings, content: PassContent, service: PassWebService): Buffer {
  const { branding } = content;
  const logo = branding.logoPng ? Buffer.from(branding.logoPng, 'base64') : undefined;
  const icon = logo ?? solidPng(87, branding.backgroundColor ?? DEFAULT_BACKGROUND);
  const files: Record<string, Buffer> = { 'icon.png': icon, 'icon@2x.png': icon, 'icon@3x.png': icon };
  if (logo) Object.assign(files, { 'logo.png': logo, 'logo@2x.png': logo, 'logo@3x.png': logo });
  const pass = new PKPass(
    files,
    {
      wwdr: apple.wwdr,
      signerCert: apple.certificate,
      signerKey: apple.key,
      ...(apple.keyPassphrase === undefined ? {} : { signerKeyPassphrase: apple.keyPassphrase }),
    },
    {
      formatVersion: 1,
      passTypeIdentifier: apple.passTypeId,
      teamIdentifier: apple.teamId,
      serialNumber: content.customerId,
      organizationName: content.organizationName,
      description: 'DESCRIPTION',
      logoText: content.organizationName,
      backgroundColor: rgb(branding.backgroundColor ?? DEFAULT_BACKGROUND),
      foregroundColor: rgb(branding.foregroundColor ?? DEFAULT_FOREGROUND),
      labelColor: rgb(branding.labelColor ?? DEFAULT_LABEL),
      webServiceURL: service.url,
      authenticationToken: service.authenticationToken,
      sharingProhibited: true,
    },
  );
  pass.type = 'storeCard';
  const [main, ...others] = content.balances;
  pass.headerFields.push({ key: 'tier', label: 'TIER', value: content.tier ?? 'NO_TIER' });
  if (main) pass.primaryFields.push(balanceField(main));
  pass.secondaryFields.push({ key: 'member', label: 'MEMBER', value: content.memberName });
  pass.auxiliaryFields.push(...others.slice(0, 3).map(balanceField));
  if (content.nearestExpiry) {
    const { date, points, pointType } = content.nearestExpiry;
    pass.auxiliaryFields.push({
      key: 'expiry',
      label: 'EXPIRES',
      value: `${displayPoints(points)} ${pointType} · ${date}`,
    });
  }
  pass.backFields.push({ key: 'card', label: 'CARD', value: content.cardNumber });
  pass.setBarcodes({
    message: content.cardNumber,
    format: 'PKBarcodeFormatQR',
    messageEncoding: 'iso-8859-1',
    altText: content.cardNumber,
  });
  for (const language of LANGUAGES) pass.localize(language, PASS_STRINGS[language]);
  return pass.getAsBuffer();
}

function balanceField(balance: PassContent['balances'][number]) {
  return {
    key: `balance-${balance.code}`,
    label: balance.name,
    value: displayPoints(balance.points),
    changeMessage: 'BALANCE_CHANGED',
  };
}
