import { type Static, Type } from 'typebox';

/**
 * Cheerfy's ticket API (`POST /ticket/`), as documented in
 * ../shared/seeds/cheerfy-loyalty-card-ticket-api.es.txt. Money is in cents; times are Unix
 * seconds. Unknown fields are ignored, as the vendor's own service does.
 */

const Cents = Type.Integer({ minimum: 0, description: 'Cents' });
const OptionalText = Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()]));
/** Seconds since 1970, up to the last second of year 9999 (beyond it there is no ISO date to store). */
const Unix = Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 253_402_300_799 }), Type.Null()]));

export const CheerfyUser = Type.Object({
  id: OptionalText,
  external_id: OptionalText,
  email: OptionalText,
  phone: OptionalText,
  name: OptionalText,
  surname: OptionalText,
  address: OptionalText,
  city: OptionalText,
  zipcode: OptionalText,
  country: OptionalText,
  language: OptionalText,
  gender: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 4 }), Type.Null()])),
});

const Modifier = Type.Object({
  sku_code: OptionalText,
  name: OptionalText,
  quantity: Type.Optional(Type.Number({ minimum: 0 })),
  subtotal: Type.Optional(Cents),
  taxes: Type.Optional(Cents),
  total: Type.Optional(Cents),
});

const itemFields = {
  item_id: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Integer(), Type.Null()])),
  ref_item_id: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Integer(), Type.Null()])),
  sku_code: OptionalText,
  name: OptionalText,
  voucher_code: OptionalText,
  quantity: Type.Number({ minimum: 0 }),
  subtotal: Type.Optional(Cents),
  taxes: Type.Optional(Cents),
  total: Cents,
  modifiers: Type.Optional(Type.Union([Type.Array(Modifier, { maxItems: 50 }), Type.Null()])),
};

export const CheerfyItem = Type.Object(itemFields);
export const CheerfyCombo = Type.Object({
  ...itemFields,
  items: Type.Optional(Type.Union([Type.Array(CheerfyItem, { maxItems: 50 }), Type.Null()])),
});

export const CheerfyTicket = Type.Object({
  id: Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Integer()]),
  ticket_number: Type.Optional(Type.Union([Type.Integer(), Type.String({ maxLength: 100 }), Type.Null()])),
  rectification_id: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Integer(), Type.Null()])),
  created_at: Unix,
  status: Type.Union([1, 2, 3, 4, 5, 6].map((status) => Type.Literal(status))),
  channel: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2), Type.Null()])),
  name: OptionalText,
  additional_data: OptionalText,
  summary: Type.Object({
    subtotal: Type.Optional(Cents),
    service_fee: Type.Optional(Type.Union([Cents, Type.Null()])),
    other_fees: Type.Optional(Type.Union([Cents, Type.Null()])),
    taxes: Type.Optional(Cents),
    tip: Type.Optional(Type.Union([Cents, Type.Null()])),
    total: Cents,
    due: Type.Optional(Cents),
    discount_amount: Type.Optional(Type.Union([Cents, Type.Null()])),
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  }),
  delivery: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
  service: Type.Optional(
    Type.Union([
      Type.Object({ service_type: Type.Optional(Type.Integer({ minimum: 1, maximum: 4 })) }),
      Type.Null(),
    ]),
  ),
  payments: Type.Optional(
    Type.Union([
      Type.Array(
        Type.Object({
          type: Type.Optional(Type.Integer({ minimum: 1, maximum: 3 })),
          amount: Cents,
          card_details: OptionalText,
          user: Type.Optional(Type.Union([CheerfyUser, Type.Null()])),
        }),
        { maxItems: 20 },
      ),
      Type.Null(),
    ]),
  ),
  items: Type.Array(CheerfyItem, { maxItems: 500 }),
  combos: Type.Optional(Type.Union([Type.Array(CheerfyCombo, { maxItems: 100 }), Type.Null()])),
  ticket_promotion_list: Type.Optional(Type.Unknown()),
  user: Type.Optional(Type.Union([CheerfyUser, Type.Null()])),
  client_data: Type.Optional(Type.Unknown()),
  scope: Type.Optional(
    Type.Union([
      Type.Object({
        locations: Type.Optional(Type.Array(Type.Union([Type.Integer(), Type.String()]), { maxItems: 1000 })),
      }),
      Type.Null(),
    ]),
  ),
});

export type CheerfyTicket = Static<typeof CheerfyTicket>;
export type CheerfyUser = Static<typeof CheerfyUser>;
export type CheerfyItem = Static<typeof CheerfyItem>;
export type CheerfyCombo = Static<typeof CheerfyCombo>;
