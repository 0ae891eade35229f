import { Type } from 'typebox';
import { PageQuery } from '../../http/pagination.ts';
import { Timestamp, Uuid } from '../../http/schemas.ts';
import { CustomerSchema, UpdateCustomerBody } from '../customers/contract.ts';
import { COUPON_STATUSES } from '../rewards/schema.ts';

/** The wire shapes of members' sign-in, join and own routes. */

export const OrganizationParams = Type.Object({ organizationId: Uuid('The organization') });

const emailField = (description: string) =>
  Type.String({ format: 'email', maxLength: 254, description, examples: ['ana@example.com'] });
const email = emailField('The email the member joined with (any case)');
const phone = Type.String({
  minLength: 1,
  maxLength: 40,
  description: "The member's phone in any common format (local numbers read with the organization's country)",
  examples: ['+34 666 666 666'],
});

export const CodeRequestBody = Type.Object(
  { email: Type.Optional(email), phone: Type.Optional(phone) },
  { additionalProperties: false, description: 'Exactly one of email and phone' },
);

export const VerifyBody = Type.Object(
  {
    email: Type.Optional(email),
    phone: Type.Optional(phone),
    code: Type.String({
      pattern: '^\\s*[0-9]{6}\\s*$',
      description: 'The six-digit code the member received',
      examples: ['042917'],
    }),
  },
  {
    additionalProperties: false,
    description: 'The address the code was asked for (email or phone) and the code',
  },
);

const consentFlag = (description: string) => Type.Optional(Type.Boolean({ description }));

export const JoinBody = Type.Object(
  {
    firstName: Type.Optional(Type.String({ maxLength: 100, description: 'First name', examples: ['Ana'] })),
    lastName: Type.Optional(Type.String({ maxLength: 100, description: 'Last name', examples: ['García'] })),
    email: Type.Optional(emailField('Email; an email or a phone (or both) is needed')),
    phone: Type.Optional(phone),
    birthDate: Type.Optional(
      Type.String({ format: 'date', description: 'Birth date (YYYY-MM-DD)', examples: ['1990-05-17'] }),
    ),
    language: Type.Optional(
      Type.String({ pattern: '^[a-z]{2}$', description: 'ISO 639-1 language', examples: ['es'] }),
    ),
    marketingConsents: Type.Optional(
      Type.Object(
        {
          email: consentFlag('Agrees to marketing by email'),
          sms: consentFlag('Agrees to marketing by SMS'),
          push: consentFlag('Agrees to push notifications'),
        },
        { additionalProperties: false, description: 'Marketing consents (each recorded with its time)' },
      ),
    ),
    consent: Type.Object(
      {
        termsVersion: Type.String({
          minLength: 1,
          maxLength: 100,
          description: 'The version of the program terms the member was shown',
          examples: ['2026-01'],
        }),
        accepted: Type.Literal(true, { description: 'The member accepted them (must be true)' }),
      },
      {
        additionalProperties: false,
        description: 'Acceptance of the program terms, stored with its time, IP and browser',
      },
    ),
  },
  { additionalProperties: false },
);

export const AcceptedResponse = Type.Object({
  message: Type.String({
    description: 'The same whether or not the address is a member’s',
    examples: [
      'If this address belongs to a member, a sign-in code is on its way. It expires in 15 minutes.',
    ],
  }),
});

export const SessionResponse = Type.Object({
  token: Type.String({
    description:
      'Bearer token for apps (`Authorization: Bearer rgme_…`). Browsers get it as an httpOnly cookie too and should not keep it',
  }),
  csrfToken: Type.String({ description: 'What a cookie session sends in `X-CSRF-Token` on POST and PATCH' }),
  customerId: Uuid('The member'),
  expiresAt: Timestamp('When the session ends (it can be ended sooner with POST /v1/me/sign-out)'),
});

/** What members see of their own record: not staff's notes, labels, status or integration ids. */
export const MEMBER_PROFILE_FIELDS = [
  'id',
  'firstName',
  'lastName',
  'email',
  'phone',
  'birthDate',
  'gender',
  'address',
  'language',
  'loyaltyCardNumber',
  'marketingConsents',
  'agreements',
  'referralCode',
  'createdAt',
] as const;

export const MemberProfileSchema = Type.Pick(CustomerSchema, MEMBER_PROFILE_FIELDS, { $id: 'MemberProfile' });

/**
 * What members may change themselves. Not their email or phone: those sign them in and identify
 * them at the till, and nothing here proves the new one is theirs (staff change them).
 */
export const MemberProfilePatch = Type.Pick(
  UpdateCustomerBody,
  ['firstName', 'lastName', 'birthDate', 'gender', 'address', 'language', 'marketingConsents'],
  { additionalProperties: false, minProperties: 1 },
);

export const CardResponse = Type.Object({
  loyaltyCardNumber: Type.String({
    description: 'The card number: what the QR encodes and the till scans',
    examples: ['7A49CVBG27'],
  }),
  qrSvg: Type.String({ description: 'The card’s QR code as an SVG image' }),
});

export const MemberRewardsQuery = Type.Object({
  locationId: Type.Optional(Uuid('Where the member is (location rules and time zone)')),
  locale: Type.Optional(
    Type.String({ maxLength: 35, description: 'Names and descriptions in this locale', examples: ['es'] }),
  ),
  redeemable: Type.Optional(Type.Boolean({ description: 'Only what the member can claim now' })),
});

export const RewardParams = Type.Object({ rewardId: Uuid('The reward') });

export const MemberClaimBody = Type.Object(
  {
    quantity: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, description: 'Coupons to claim (default 1)' }),
    ),
  },
  { additionalProperties: false },
);

export const MemberCouponsQuery = Type.Object({
  ...PageQuery,
  status: Type.Optional(Type.Enum(COUPON_STATUSES, { description: 'Only coupons in this status' })),
});

const nullableText = (description: string) => Type.Union([Type.String(), Type.Null()], { description });

/** What the member pages need before anyone signs in: the organization's look and wording. */
export const MemberPageResponse = Type.Object({
  organizationId: Uuid('The organization'),
  name: Type.String({ description: 'The organization’s name', examples: ['La Tasca'] }),
  logoUrl: nullableText('Its logo (settings.brandLogoUrl), or null'),
  color: Type.String({ description: 'Its main color, #rrggbb (settings.brandColor)', examples: ['#087f5b'] }),
  language: Type.String({ description: 'Its language: the pages’ default', examples: ['es'] }),
  currency: Type.String({ description: 'ISO 4217 currency of its money', examples: ['EUR'] }),
  country: Type.String({
    description: 'ISO 3166-1 country: local phone numbers are read in it',
    examples: ['ES'],
  }),
  terms: Type.Object({
    version: Type.String({ description: 'What a join sends as consent.termsVersion', examples: ['2026-01'] }),
    text: nullableText('The wording of the terms checkbox, or null for the page’s own'),
    url: nullableText('Where the full terms are, or null'),
  }),
  marketingText: nullableText('The wording of the marketing checkboxes, or null for the page’s own'),
});

/** The W3C web app manifest of an organization's member pages: installed, they open on its card. */
export const ManifestResponse = Type.Object({
  id: Type.String(),
  name: Type.String(),
  short_name: Type.String(),
  start_url: Type.String({ examples: ['/m/01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f/'] }),
  scope: Type.String(),
  display: Type.Literal('standalone'),
  lang: Type.String(),
  theme_color: Type.String(),
  background_color: Type.String(),
  icons: Type.Array(
    Type.Object({
      src: Type.String(),
      sizes: Type.String(),
      type: Type.Optional(Type.String()),
      purpose: Type.String(),
    }),
  ),
});

export const AnonymizeBody = Type.Object(
  {
    confirm: Type.Literal(true, {
      description: 'The member confirmed that their account is erased for good (must be true)',
    }),
  },
  { additionalProperties: false },
);
