import { type Static, type TSchema, Type } from 'typebox';
import { Timestamp, Uuid } from '../../http/schemas.ts';
import { CUSTOMER_STATUSES, GENDERS } from './schema.ts';

/**
 * The shape of a member on the wire. The request schemas validate both JSON bodies and CSV
 * import rows, so a field is refused for the same reason whichever way it arrives.
 */

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const text = (maxLength: number, description: string, example: string) =>
  Type.String({ maxLength, description, examples: [example] });

const Address = Type.Object(
  {
    street: Type.Optional(nullable(text(200, 'Street name', 'Carrer de Verdi'))),
    address1: Type.Optional(nullable(text(100, 'Building number', '12'))),
    address2: Type.Optional(nullable(text(100, 'Flat or unit', '3º 2ª'))),
    postalCode: Type.Optional(nullable(text(20, 'Postal code', '08012'))),
    city: Type.Optional(nullable(text(100, 'City', 'Barcelona'))),
    province: Type.Optional(nullable(text(100, 'Province or region', 'Barcelona'))),
    country: Type.Optional(
      nullable(
        Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2 country', examples: ['ES'] }),
      ),
    ),
  },
  { additionalProperties: false, description: 'Postal address; in a PATCH, given keys replace, others stay' },
);

const Company = Type.Object(
  {
    name: Type.Optional(nullable(text(200, 'Company name', 'Wayne Enterprises SL'))),
    taxId: Type.Optional(nullable(text(50, 'Tax id (NIF/VAT)', 'B12345678'))),
  },
  { additionalProperties: false, description: 'Company the member invoices to' },
);

const Label = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 100, description: 'Label name', examples: ['favourite'] }),
    value: Type.String({ maxLength: 200, description: 'Label value (may be empty)', examples: ['paella'] }),
  },
  { additionalProperties: false },
);

const consentFlag = (description: string) => Type.Optional(Type.Boolean({ description, examples: [true] }));

const MarketingConsentsInput = Type.Object(
  {
    email: consentFlag('Agrees to marketing by email'),
    sms: consentFlag('Agrees to marketing by SMS'),
    push: consentFlag('Agrees to push notifications'),
  },
  {
    additionalProperties: false,
    description: 'Marketing consents; the time of each change is recorded when its value changes',
  },
);

const AgreementsInput = Type.Object(
  {
    terms: consentFlag('Accepted the program terms'),
    privacy: consentFlag('Accepted the privacy policy'),
  },
  { additionalProperties: false, description: 'Agreements; the time of each change is recorded' },
);

/** Every writable field but `status` (which changes through the activate/deactivate/block actions). */
const writable = {
  firstName: nullable(text(100, 'First name', 'Bruce')),
  lastName: nullable(text(100, 'Last name', 'Wayne')),
  email: nullable(
    Type.String({
      format: 'email',
      maxLength: 254,
      description: 'Email; unique in the organization, case-insensitively',
      examples: ['bruce@wayne.example'],
    }),
  ),
  phone: nullable(
    Type.String({
      minLength: 1,
      maxLength: 40,
      description:
        "Phone in any common format; stored in E.164, local numbers read with the organization's country",
      examples: ['+34 666 666 666'],
    }),
  ),
  birthDate: nullable(
    Type.String({
      format: 'date',
      description: 'Birth date (YYYY-MM-DD), not in the future',
      examples: ['1990-01-01'],
    }),
  ),
  gender: nullable(Type.Enum([...GENDERS], { description: 'Gender', examples: ['male'] })),
  address: nullable(Address),
  company: nullable(Company),
  language: nullable(
    Type.String({ pattern: '^[a-z]{2}$', description: 'ISO 639-1 language', examples: ['es'] }),
  ),
  source: nullable(text(100, 'Where the member signed up', 'POS')),
  externalId: nullable(
    Type.String({
      minLength: 1,
      maxLength: 200,
      description: "The member's id in another system (POS, CRM); unique in the organization",
      examples: ['h230he02'],
    }),
  ),
  loyaltyCardNumber: nullable(
    Type.String({
      pattern: '^[!-~]{1,64}$',
      description:
        'Card number (printable ASCII, no spaces, case-sensitive); unique in the organization. Generated when not given',
      examples: ['7A49CVBG27'],
    }),
  ),
  labels: Type.Array(Label, {
    maxItems: 50,
    description: 'Free key/value labels',
    examples: [[{ key: 'vip', value: '' }]],
  }),
  marketingConsents: MarketingConsentsInput,
  agreements: AgreementsInput,
  internalNote: nullable(text(2000, 'Note for staff, never shown to the member', 'Allergic to nuts')),
  referredBy: nullable(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'The referring member: their referral code, or their id',
      examples: ['K7MQ2ZXD'],
    }),
  ),
};

const status = Type.Enum([...CUSTOMER_STATUSES], {
  description: '`active` members earn and spend; `inactive` and `blocked` ones do not',
  examples: ['active'],
});

export const CreateCustomerBody = Type.Object(
  { ...Type.Partial(Type.Object(writable)).properties, status: Type.Optional(status) },
  { additionalProperties: false },
);
export type CreateCustomerBody = Static<typeof CreateCustomerBody>;

export const UpdateCustomerBody = Type.Partial(Type.Object(writable), {
  additionalProperties: false,
  minProperties: 1,
});
export type UpdateCustomerBody = Static<typeof UpdateCustomerBody>;

const ConsentOut = (description: string) =>
  Type.Object(
    {
      granted: Type.Boolean({ description: 'Current answer (false when never asked)' }),
      at: nullable(Timestamp('When it was last given or withdrawn; null when never asked')),
    },
    { description },
  );

const nullableOut = (schema: TSchema) => nullable(schema);

export const CustomerSchema = Type.Object(
  {
    id: Uuid('Customer id'),
    firstName: writable.firstName,
    lastName: writable.lastName,
    email: writable.email,
    phone: nullableOut(Type.String({ description: 'Phone in E.164', examples: ['+34666666666'] })),
    birthDate: writable.birthDate,
    gender: writable.gender,
    address: Type.Object(
      {
        street: nullable(Type.String()),
        address1: nullable(Type.String()),
        address2: nullable(Type.String()),
        postalCode: nullable(Type.String()),
        city: nullable(Type.String()),
        province: nullable(Type.String()),
        country: nullable(Type.String()),
      },
      { description: 'Postal address (every key present, null when unknown)' },
    ),
    company: Type.Object(
      { name: nullable(Type.String()), taxId: nullable(Type.String()) },
      { description: 'Company (every key present, null when unknown)' },
    ),
    language: writable.language,
    source: writable.source,
    externalId: writable.externalId,
    loyaltyCardNumber: nullableOut(
      Type.String({
        description: 'Card number, encoded as is in the QR of card.svg / card.png; null once anonymized',
        examples: ['7A49CVBG27'],
      }),
    ),
    labels: Type.Array(Label, { description: 'Free key/value labels' }),
    marketingConsents: Type.Object(
      { email: ConsentOut('Email marketing'), sms: ConsentOut('SMS marketing'), push: ConsentOut('Push') },
      { description: 'Marketing consents with the time each was given or withdrawn' },
    ),
    agreements: Type.Object(
      { terms: ConsentOut('Program terms'), privacy: ConsentOut('Privacy policy') },
      { description: 'Agreements with the time each was accepted or withdrawn' },
    ),
    status,
    internalNote: writable.internalNote,
    referralCode: nullableOut(
      Type.String({ description: 'Code this member gives friends (generated)', examples: ['K7MQ2ZXD'] }),
    ),
    referredBy: nullableOut(Uuid('Id of the member who referred this one')),
    createdAt: Timestamp('When the member joined'),
    updatedAt: Timestamp('When the record last changed'),
    anonymizedAt: nullableOut(Timestamp('When personal data was erased; null if never')),
  },
  { $id: 'Customer' },
);
export type CustomerOut = Static<typeof CustomerSchema>;
