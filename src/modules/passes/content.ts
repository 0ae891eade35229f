import { createHash } from 'node:crypto';
import type { Language } from '../../domain/languages.ts';
import type { Hundredths } from '../../domain/points.ts';
import type { ProgramSettings } from '../organizations/settings.ts';

export type PassBranding = NonNullable<ProgramSettings['walletPass']>;

/**
 * What a member's wallet card shows, whichever wallet carries it. Its fingerprint decides whether
 * a change is worth a push: a ticket emits several events, the card changes once.
 */
export interface PassContent {
  organizationId: string;
  organizationName: string;
  customerId: string;
  /** The barcode's content: exactly the card number, like the card QR (src/modules/customers/card.ts). */
  cardNumber: string;
  memberName: string;
  language: Language;
  balances: { code: string; name: string; points: Hundredths }[];
  tier: string | null;
  /** The first local day on which points stop being spendable, within the next 30 days. */
  nearestExpiry: { date: string; points: Hundredths; pointType: string } | null;
  branding: PassBranding;
}

export function fingerprint(content: PassContent): string {
  return createHash('sha256').update(JSON.stringify(content)).digest('base64url');
}

/** Points as a card shows them: whole points without decimals, else two places (12.5 → "12.50"). */
export function displayPoints(points: Hundredths): string {
  if (points % 100 === 0) return String(points / 100);
  const sign = points < 0 ? '-' : '';
  const magnitude = Math.abs(points);
  return `${sign}${Math.trunc(magnitude / 100)}.${String(magnitude % 100).padStart(2, '0')}`;
}
