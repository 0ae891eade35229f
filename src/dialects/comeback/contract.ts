import { type Static, type TSchema, Type } from 'typebox';

/**
 * Comeback's integration API (`/v1/...`), as documented in
 * ../shared/seeds/comeback-integration-api.txt: the shapes a POS sends. Money is in cents. Lenient
 * like the vendor's own service: unknown fields are ignored, optional fields may be null, and ids
 * may come as strings or numbers.
 */

const nullable = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));
const Text = (maxLength: number, description: string) =>
  Type.String({ minLength: 1, maxLength, description });
const Id = (description: string) =>
  Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Integer()], { description });
const Cents = (description: string) =>
  Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: `${description}, in cents` });

export const DISCOUNT_TYPES = ['products', '2x1', 'percentage', 'currency'] as const;
export type DiscountType = (typeof DISCOUNT_TYPES)[number];

export const ComebackProduct = Type.Object({
  name: nullable(Text(500, 'Name of the product')),
  quantity: nullable(Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000, description: 'Units' })),
  organizationProductExternalId: nullable(Id('The product in the organization (its SKU)')),
  orderProductExternalId: nullable(Id('The product line in the order')),
  price: Cents('Price of the line, quantity already multiplied'),
});

export const ComebackOrder = Type.Object({
  externalId: Id('Identifier of the order on the POS'),
  amount: Cents('Total amount of the order'),
  products: nullable(Type.Array(ComebackProduct, { maxItems: 500 })),
  locationId: nullable(Id('Location where the order was placed')),
  customerId: nullable(Id('Customer who placed the order')),
  promotionsApplied: nullable(
    Type.Array(Type.Object({ id: Id('The promotion (its id or code)') }), { maxItems: 50 }),
  ),
  discountAmount: nullable(Cents('Total discount applied to the order')),
});

export const ComebackPromotionInput = Type.Object({
  name: Text(200, 'Name of the promotion'),
  description: nullable(Type.String({ maxLength: 2000, description: 'Description' })),
  pointTypeId: nullable(Id('Point type the points are paid in (its id or code)')),
  pointsExpense: nullable(Type.Number({ minimum: 0, description: 'Points consumed when it is used' })),
  /** The document's table calls it so; its example and the create request say pointsExpense. */
  pointsRequired: nullable(Type.Number({ minimum: 0, description: 'Same as pointsExpense' })),
  code: nullable(Text(100, 'Code that represents the promotion in the POS')),
  discountType: nullable(Type.Enum([...DISCOUNT_TYPES], { description: 'Not needed when code is given' })),
  discountAmount: nullable(Type.Number({ minimum: 0, description: 'Percent, or cents for currency' })),
  availableOnline: nullable(Type.Boolean({ description: 'Whether it is offered in the online shop too' })),
});

export const ComebackCustomerInput = Type.Object({
  name: nullable(Type.String({ maxLength: 100, description: 'Name' })),
  surname: nullable(Type.String({ maxLength: 100, description: 'Surname' })),
  phoneNumber: nullable(Type.String({ maxLength: 40, description: 'Full phone number with country code' })),
  email: nullable(Type.String({ format: 'email', maxLength: 254, description: 'Email' })),
  source: nullable(Type.String({ maxLength: 100, description: 'Source of the customer' })),
  marketingCommunication: nullable(Type.Boolean({ description: 'Agreed to marketing' })),
  birthDate: nullable(Type.String({ format: 'date', description: 'YYYY-MM-DD' })),
  externalId: nullable(Type.String({ maxLength: 200, description: 'External identifier' })),
});

export const ComebackAddPoints = Type.Object({
  addedPoints: Type.Number({ description: 'Points to add (negative takes points away)' }),
  pointTypeId: nullable(Id('Point type (its id or code); default the main one')),
  locationId: nullable(Id('Where it happened')),
});

export const CustomerParams = Type.Object({
  customerId: Type.String({
    minLength: 1,
    maxLength: 320,
    description: 'The customer: id, phone with country code, email (or card number, external id)',
  }),
});
export const ScanParams = Type.Object({
  locationId: Type.String({ minLength: 1, maxLength: 200 }),
  identifier: Type.String({ minLength: 1, maxLength: 320 }),
});
export const PageQuery = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Result page, from 0' })),
});
export const PassQuery = Type.Object({
  passId: Type.Optional(Type.String({ maxLength: 200, description: 'The pass; default the first one' })),
});

export type ComebackOrder = Static<typeof ComebackOrder>;
export type ComebackProduct = Static<typeof ComebackProduct>;
export type ComebackPromotionInput = Static<typeof ComebackPromotionInput>;
export type ComebackCustomerInput = Static<typeof ComebackCustomerInput>;
export type ComebackAddPoints = Static<typeof ComebackAddPoints>;
