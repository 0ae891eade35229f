import { type Static, Type } from 'typebox';
import { CHANNELS } from '../../domain/earning/types.ts';
import { Timestamp, Uuid } from '../../http/schemas.ts';

/** The canonical transaction: every POS shape (Cheerfy, Comeback, Last.app, POS gateway) maps onto it. */

const Minor = (description: string) =>
  Type.Integer({ minimum: 0, description: `${description}, in minor units`, examples: [1250] });
const Text = (description: string, maxLength = 200) => Type.String({ maxLength, description });
export const LabelSchema = Type.Object(
  { key: Text('Label key', 100), value: Text('Label value') },
  { additionalProperties: false },
);

const ModifierSchema = Type.Object(
  {
    sku: Type.Optional(Text('Modifier SKU')),
    name: Type.Optional(Text('Modifier name')),
    quantity: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    total: Type.Optional(Minor('Modifier total')),
  },
  { additionalProperties: false },
);

export const LineSchema = Type.Object(
  {
    lineId: Type.Optional(Text('Line id within the ticket (default: its position, 1-based)', 100)),
    sku: Type.Optional(Type.Union([Text('Product SKU'), Type.Null()])),
    name: Type.Optional(Text('Product name', 500)),
    quantity: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000, description: 'Units (default 1)' }),
    ),
    unitPrice: Type.Optional(Type.Integer({ description: 'Price of one unit, in minor units' })),
    total: Minor('What the line costs, quantity and modifiers included, after line discounts'),
    tax: Type.Optional(Minor('Tax included in the line')),
    category: Type.Optional(Type.Union([Text('Product category'), Type.Null()])),
    maker: Type.Optional(Type.Union([Text('Brand or maker of the product'), Type.Null()])),
    labels: Type.Optional(Type.Array(LabelSchema, { maxItems: 50 })),
    modifiers: Type.Optional(Type.Array(ModifierSchema, { maxItems: 50 })),
    parentLineId: Type.Optional(
      Type.Union([Text('The combo line this line is a component of', 100), Type.Null()]),
    ),
    voucherCode: Type.Optional(Type.Union([Text('Voucher applied to the line'), Type.Null()])),
  },
  { additionalProperties: false },
);

export const IdentificationSchema = Type.Object(
  {
    customerId: Type.Optional(Uuid('Regulars customer id')),
    loyaltyCardNumber: Type.Optional(Text('Card number (the QR content)')),
    phone: Type.Optional(Text('Phone in any common format', 50)),
    email: Type.Optional(Text('Email', 320)),
    externalId: Type.Optional(Text("The member's id in the POS")),
  },
  {
    additionalProperties: false,
    description: 'Who the member is; the first field that matches wins, in this order',
  },
);

const totalsFields = {
  subtotal: Minor('Lines before ticket discounts'),
  tax: Minor('Tax'),
  serviceFee: Minor('Service fee'),
  otherFees: Minor('Other fees'),
  deliveryFee: Minor('Delivery fee'),
  tip: Minor('Tip'),
  discount: Minor('Ticket-level discount, shared over the lines in proportion'),
};

export const TransactionInputSchema = Type.Object(
  {
    documentNumber: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'The ticket number; unique per source',
      examples: ['T-2026-000123'],
    }),
    source: Type.Optional(
      Type.String({
        pattern: '^[a-z0-9_-]{1,40}$',
        description: 'The sending integration (default `api`)',
        examples: ['api'],
      }),
    ),
    type: Type.Optional(
      Type.Union([Type.Literal('sale'), Type.Literal('return')], { description: 'Default sale' }),
    ),
    revisedDocumentNumber: Type.Optional(Text('For returns: the documentNumber of the sale being returned')),
    status: Type.Optional(
      Type.Union([Type.Literal('pending'), Type.Literal('completed'), Type.Literal('cancelled')], {
        description: 'Only completed tickets earn (default completed)',
      }),
    ),
    channel: Type.Optional(Type.Enum(CHANNELS, { description: 'Default pos' })),
    serviceType: Type.Optional(
      Type.Union([
        Type.Literal('dine_in'),
        Type.Literal('take_away'),
        Type.Literal('delivery'),
        Type.Literal('booking'),
      ]),
    ),
    locationId: Type.Optional(Type.Union([Uuid('Where it was sold'), Type.Null()])),
    brandId: Type.Optional(Type.Union([Uuid('Brand sold'), Type.Null()])),
    purchasedAt: Type.Optional(Timestamp('When it was sold (default now)')),
    currency: Type.Optional(
      Type.String({ pattern: '^[A-Z]{3}$', description: "ISO 4217; default the organization's" }),
    ),
    totals: Type.Object(
      { ...Type.Partial(Type.Object(totalsFields)).properties, total: Minor('What the customer pays') },
      { additionalProperties: false },
    ),
    lines: Type.Array(LineSchema, { maxItems: 500, description: 'Ticket lines' }),
    payments: Type.Optional(
      Type.Array(
        Type.Object(
          {
            method: Text('cash, card, voucher…', 50),
            amount: Minor('Amount paid'),
            cardMasked: Type.Optional(Text('Masked card number', 30)),
          },
          { additionalProperties: false },
        ),
        { maxItems: 20 },
      ),
    ),
    customer: Type.Optional(IdentificationSchema),
    customerData: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'What the POS knew about the customer' }),
    ),
    labels: Type.Optional(Type.Array(LabelSchema, { maxItems: 50 })),
    metadata: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'Free-form data kept with the ticket' }),
    ),
  },
  { additionalProperties: false },
);

export type TransactionInput = Static<typeof TransactionInputSchema>;
export type CustomerIdentification = Static<typeof IdentificationSchema>;

/** What is stored: the input with defaults applied. */
type Defaulted = 'customer' | 'type' | 'status' | 'channel' | 'source' | 'purchasedAt' | 'currency' | 'lines';
export type TransactionContent = Omit<TransactionInput, Defaulted> & {
  type: 'sale' | 'return';
  status: 'pending' | 'completed' | 'cancelled';
  channel: (typeof CHANNELS)[number];
  source: string;
  purchasedAt: string;
  currency: string;
  lines: Array<Static<typeof LineSchema> & { lineId: string }>;
};

export const BreakdownEntrySchema = Type.Object({
  ruleId: Type.String({ description: 'The rule (or tier) that earned' }),
  ruleName: Type.String(),
  ruleType: Type.String({ examples: ['spend'] }),
  lineId: Type.Union([Type.String(), Type.Null()], { description: 'The line that earned, when one did' }),
  points: Type.Number({ description: 'Points, two decimals', examples: [6.9] }),
  beneficiary: Type.Union([Type.Literal('member'), Type.Literal('referrer')]),
});

const LabelList = (description: string) =>
  Type.Optional(Type.Array(LabelSchema, { maxItems: 50, description }));

/** A change of a ticket's own labels (its lines' labels are what it arrived with). */
export const LabelsChangeBody = Type.Object(
  {
    set: LabelList('Replace the labels with these (applied first)'),
    add: LabelList('Append these, unless an equal label is there'),
    remove: LabelList('Remove every label equal to one of these (applied last)'),
  },
  { additionalProperties: false, minProperties: 1 },
);
