import { importPKCS8, SignJWT } from 'jose';
import type { GoogleSettings } from './config.ts';
import { displayPoints, type PassContent } from './content.ts';
import { PASS_STRINGS } from './strings.ts';

/**
 * Google Wallet: one loyalty class per organization, one loyalty object per member. The member
 * saves theirs through a signed "Save to Google Wallet" link (the JWT carries class and object,
 * Google creates them); later changes update the object through the Wallet REST API with an
 * OAuth token from the service account (JWT bearer grant).
 */

const SCOPE = 'https://www.googleapis.com/auth/wallet_object.issuer';
const TIMEOUT_MS = 10_000;

export const classIdOf = (google: GoogleSettings, organizationId: string) =>
  `${google.issuerId}.regulars-${organizationId}`;
export const objectIdOf = (google: GoogleSettings, customerId: string) => `${google.issuerId}.${customerId}`;

export function loyaltyClass(google: GoogleSettings, content: PassContent, logoUrl: string) {
  return {
    id: classIdOf(google, content.organizationId),
    issuerName: content.organizationName,
    programName: content.organizationName,
    programLogo: { sourceUri: { uri: logoUrl } },
    hexBackgroundColor: content.branding.backgroundColor ?? '#1f2937',
    reviewStatus: 'UNDER_REVIEW',
  };
}

export function loyaltyObject(google: GoogleSettings, content: PassContent) {
  const strings = PASS_STRINGS[content.language];
  const [main, second] = content.balances;
  const points = (balance: PassContent['balances'][number]) => ({
    label: balance.name,
    balance: { string: displayPoints(balance.points) },
  });
  const modules = [{ id: 'tier', header: strings.TIER, body: content.tier ?? strings.NO_TIER }];
  if (content.nearestExpiry) {
    const { date, points: expiring, pointType } = content.nearestExpiry;
    modules.push({
      id: 'expiry',
      header: strings.EXPIRES,
      body: `${displayPoints(expiring)} ${pointType} · ${date}`,
    });
  }
  return {
    id: objectIdOf(google, content.customerId),
    classId: classIdOf(google, content.organizationId),
    state: 'ACTIVE',
    accountId: content.cardNumber,
    accountName: content.memberName,
    barcode: { type: 'QR_CODE', value: content.cardNumber, alternateText: content.cardNumber },
    ...(main ? { loyaltyPoints: points(main) } : {}),
    ...(second ? { secondaryLoyaltyPoints: points(second) } : {}),
    textModulesData: modules,
  };
}

/**
 * What is left of an erased member's object: inactive, with no name, card number or barcode
 * (Google keeps objects; this is how one stops naming anybody).
 */
export function erasedObject(google: GoogleSettings, organizationId: string, customerId: string) {
  return {
    id: objectIdOf(google, customerId),
    classId: classIdOf(google, organizationId),
    state: 'INACTIVE',
    accountId: '',
    accountName: '',
    textModulesData: [],
  };
}

export type LoyaltyObject = ReturnType<typeof loyaltyObject> | ReturnType<typeof erasedObject>;

async function privateKey(google: GoogleSettings) {
  return importPKCS8(google.serviceAccount.privateKey, 'RS256');
}

/** https://pay.google.com/gp/v/save/<JWT>: opens "Add to Google Wallet" with the member's card. */
export async function saveLink(
  google: GoogleSettings,
  content: PassContent,
  logoUrl: string,
  origin: string,
) {
  const jwt = await new SignJWT({
    typ: 'savetowallet',
    origins: [origin],
    payload: {
      loyaltyClasses: [loyaltyClass(google, content, logoUrl)],
      loyaltyObjects: [loyaltyObject(google, content)],
    },
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuer(google.serviceAccount.clientEmail)
    .setAudience('google')
    .setIssuedAt()
    .sign(await privateKey(google));
  return `https://pay.google.com/gp/v/save/${jwt}`;
}

export function createGoogleWalletClient(google: GoogleSettings) {
  let token: { value: string; expiresAt: number } | undefined;

  async function accessToken(): Promise<string> {
    if (token && token.expiresAt > Date.now() + 60_000) return token.value;
    const { tokenUri, clientEmail } = google.serviceAccount;
    const assertion = await new SignJWT({ scope: SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer(clientEmail)
      .setAudience(tokenUri)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(await privateKey(google));
    const response = await fetch(tokenUri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'error',
    });
    const body = (await response.json().catch(() => ({}))) as {
      access_token?: unknown;
      expires_in?: unknown;
    };
    if (!response.ok || typeof body.access_token !== 'string')
      throw new Error(`Google token exchange answered ${response.status}`);
    const lifetime = typeof body.expires_in === 'number' ? body.expires_in : 3600;
    token = { value: body.access_token, expiresAt: Date.now() + lifetime * 1000 };
    return token.value;
  }

  return {
    /**
     * Replaces the member's loyalty object. 404: the member never saved the card (Google creates
     * the object on save), so there is nothing to update.
     */
    async updateObject(object: LoyaltyObject): Promise<{ status: number }> {
      const response = await fetch(
        `${google.apiUrl}/walletobjects/v1/loyaltyObject/${encodeURIComponent(object.id)}`,
        {
          method: 'PUT',
          headers: { authorization: `Bearer ${await accessToken()}`, 'content-type': 'application/json' },
          body: JSON.stringify(object),
          signal: AbortSignal.timeout(TIMEOUT_MS),
          redirect: 'error',
        },
      );
      await response.arrayBuffer();
      return { status: response.status };
    },
  };
}

export type GoogleWalletClient = ReturnType<typeof createGoogleWalletClient>;
