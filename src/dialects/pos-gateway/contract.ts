import { type Static, Type } from 'typebox';

/**
 * The POS loyalty gateway's redeem call (../shared/seeds/pos-loyalty-gateway-redeem-rewards.txt).
 * Only what the mapping reads is described; every other field of `orderLive` is accepted and
 * ignored. Amounts are integers in hundredths of the currency (see docs/dialects/pos-gateway.md).
 */

const Amount = Type.Optional(Type.Union([Type.Integer(), Type.Null()]));
const Text = Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()]));

const ProductRow = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 100 }),
  productId: Text,
  name: Text,
  categoryId: Text,
  categoryName: Text,
  quantity: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  unitPriceRow: Amount,
  totalRow: Amount,
  totalRowWithModifier: Amount,
  isCanceled: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
});

const MenuRow = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 100 }),
  menuId: Text,
  name: Text,
  totalRow: Amount,
});

export const RedeemRequest = Type.Object({
  customerId: Type.String({ minLength: 1, maxLength: 320 }),
  orderLive: Type.Object({
    id: Type.String({ minLength: 1, maxLength: 200 }),
    locationId: Text,
    total: Amount,
    totalDiscount: Amount,
    data: Type.Optional(
      Type.Object({
        externalLocationId: Text,
        productRowList: Type.Optional(Type.Array(ProductRow, { maxItems: 500 })),
        menuRowList: Type.Optional(Type.Array(MenuRow, { maxItems: 200 })),
      }),
    ),
  }),
  rewards: Type.Array(Type.Object({ rewardId: Type.Optional(Text), couponCode: Type.Optional(Text) }), {
    minItems: 1,
    maxItems: 20,
  }),
});

export type RedeemRequest = Static<typeof RedeemRequest>;

/** One discount the POS applies: AMOUNT in hundredths of the currency, PERCENT in hundredths of a percent. */
export interface GatewayDiscount {
  id: string;
  type: 'AMOUNT' | 'PERCENT';
  name: string | null;
  couponCode: string | null;
  productSku: string | null;
  value: number;
}
