import { type Static, type TSchema, Type } from 'typebox';

/**
 * Open Loyalty 4.x's request shapes (../shared/seeds/open-loyalty-docs.txt), as its clients send
 * them: Symfony form fields under a root key (`customer[...]`, `transaction[...]`, `transfer[...]`),
 * form-encoded (read by form.ts) or JSON. Form values arrive as strings, so numbers and flags take
 * either form. Unknown fields are ignored, as Symfony's forms with extra fields allowed do.
 */

const Text = (maxLength = 200) => Type.String({ maxLength });
const Opt = <T extends TSchema>(schema: T) => Type.Optional(schema);
/** A decimal as OL sends it: `1500.00` in a form, 1500 in JSON. */
export const Decimal = Type.Union([
  Type.Number(),
  Type.String({ pattern: '^\\s*-?\\d{1,15}(\\.\\d{1,6})?\\s*$', description: 'A decimal such as 1500.00' }),
]);
/** Symfony checkboxes and OL's `1`/`0` flags. */
export const Flag = Type.Union([
  Type.Boolean(),
  Type.Integer({ minimum: 0, maximum: 1 }),
  Type.String({ pattern: '^(0|1|true|false|)$' }),
]);
const Label = Type.Object({ key: Opt(Text(100)), value: Opt(Text()) });
const Labels = Type.Array(Label, { maxItems: 50 });

export const OlAddress = Type.Object({
  street: Opt(Text()),
  address1: Opt(Text(100)),
  address2: Opt(Text(100)),
  postal: Opt(Text(20)),
  city: Opt(Text(100)),
  province: Opt(Text(100)),
  country: Opt(Text(100)),
});

export const OlCustomerFields = Type.Object({
  firstName: Opt(Text(100)),
  lastName: Opt(Text(100)),
  gender: Opt(
    Type.Union([
      Type.Literal('male'),
      Type.Literal('female'),
      Type.Literal('not_disclosed'),
      Type.Literal(''),
    ]),
  ),
  email: Opt(Text(254)),
  phone: Opt(Text(40)),
  birthDate: Opt(Type.String({ pattern: '^(\\d{4}-\\d{2}-\\d{2}( \\d{2}:\\d{2}(:\\d{2})?)?)?$' })),
  createdAt: Opt(Text(40)),
  address: Opt(OlAddress),
  company: Opt(Type.Object({ name: Opt(Text()), nip: Opt(Text(50)) })),
  loyaltyCardNumber: Opt(Text(64)),
  labels: Opt(Type.String({ maxLength: 5000, description: 'key1:val1;key2:val2' })),
  agreement1: Opt(Flag),
  agreement2: Opt(Flag),
  agreement3: Opt(Flag),
  invitationToken: Opt(Text()),
  levelId: Opt(Text(64)),
  posId: Opt(Text(64)),
  sellerId: Opt(Text(64)),
});
export type OlCustomerFields = Static<typeof OlCustomerFields>;

export const OlCustomerForm = Type.Object({ customer: Opt(OlCustomerFields) });
export type OlCustomerForm = Static<typeof OlCustomerForm>;

const Item = Type.Object({
  sku: Opt(Type.Object({ code: Opt(Text()) })),
  name: Opt(Text(500)),
  quantity: Opt(Decimal),
  grossValue: Opt(Decimal),
  category: Opt(Text()),
  maker: Opt(Text()),
  labels: Opt(Labels),
});
export type OlItem = Static<typeof Item>;

export const OlCustomerData = Type.Object({
  name: Opt(Text()),
  email: Opt(Text(320)),
  phone: Opt(Text(50)),
  loyaltyCardNumber: Opt(Text()),
  nip: Opt(Text(50)),
  address: Opt(OlAddress),
});
export type OlCustomerData = Static<typeof OlCustomerData>;

export const OlTransactionFields = Type.Object({
  transactionData: Opt(
    Type.Object({
      documentType: Opt(Type.Union([Type.Literal('sell'), Type.Literal('return')])),
      documentNumber: Opt(Text()),
      purchaseDate: Opt(Text(40)),
      purchasePlace: Opt(Text()),
    }),
  ),
  revisedDocument: Opt(Text()),
  items: Opt(Type.Array(Item, { maxItems: 500 })),
  customerData: Opt(OlCustomerData),
  labels: Opt(Labels),
  posId: Opt(Text(64)),
  /** Simulate's form puts the date here, not in transactionData. */
  purchaseDate: Opt(Text(40)),
});
export type OlTransactionFields = Static<typeof OlTransactionFields>;

export const OlTransactionForm = Type.Object({ transaction: Opt(OlTransactionFields) });
export type OlTransactionForm = Static<typeof OlTransactionForm>;

export const OlAssignForm = Type.Object({
  assign: Opt(
    Type.Object({
      transactionDocumentNumber: Opt(Text()),
      customerId: Opt(Text(64)),
      customerLoyaltyCardNumber: Opt(Text()),
      customerPhoneNumber: Opt(Text(50)),
    }),
  ),
});
export type OlAssignForm = Static<typeof OlAssignForm>;

/**
 * Transaction label edits. The POST example sends `transaction_labels[label][0][...]` where the
 * definition says `labels`: both are read.
 */
export const OlTransactionLabelsForm = Type.Object({
  transaction_labels: Opt(
    Type.Object({ transactionId: Opt(Text(64)), labels: Opt(Labels), label: Opt(Labels) }),
  ),
});
export type OlTransactionLabelsForm = Static<typeof OlTransactionLabelsForm>;

export const OlAppendLabelsForm = Type.Object({
  append: Opt(Type.Object({ transactionDocumentNumber: Opt(Text()), labels: Opt(Labels) })),
});
export type OlAppendLabelsForm = Static<typeof OlAppendLabelsForm>;

/** `PUT`/`DELETE …/transaction/<id>/label`: a JSON body (or the same as a form). */
export const OlLabelsBody = Type.Object({ labels: Opt(Labels) });
export type OlLabelsBody = Static<typeof OlLabelsBody>;

export const OlTransferForm = Type.Object({
  transfer: Opt(
    Type.Object({
      customer: Opt(Text(64)),
      points: Opt(Decimal),
      comment: Opt(Text(500)),
    }),
  ),
});
export type OlTransferForm = Static<typeof OlTransferForm>;

export const OlP2pForm = Type.Object({
  transfer: Opt(
    Type.Object({
      sender: Opt(Text(320)),
      receiver: Opt(Text(320)),
      points: Opt(Decimal),
    }),
  ),
});
export type OlP2pForm = Static<typeof OlP2pForm>;

export const OlLevelForm = Type.Object({ levelId: Opt(Text(64)) });
export type OlLevelForm = Static<typeof OlLevelForm>;

export const OlLogin = Type.Object({ _username: Opt(Text(320)), _password: Opt(Text(1000)) });
export type OlLogin = Static<typeof OlLogin>;
export const OlRefresh = Type.Object({ refresh_token: Opt(Text(1000)) });
export type OlRefresh = Static<typeof OlRefresh>;

const PageNumber = Type.String({ pattern: '^\\d{1,6}$' });
/** OL's list paging: `page` from 1, `perPage` (10 by default), `sort`, `direction`. */
export const OlPaging = {
  page: Opt(PageNumber),
  perPage: Opt(PageNumber),
  sort: Opt(Text(100)),
  direction: Opt(Type.String({ pattern: '^([Aa][Ss][Cc]|[Dd][Ee][Ss][Cc])$' })),
};

export const OlCustomerQuery = Type.Object({
  ...OlPaging,
  firstName: Opt(Text(100)),
  lastName: Opt(Text(100)),
  phone: Opt(Text(50)),
  email: Opt(Text(320)),
  loyaltyCardNumber: Opt(Text(64)),
  strict: Opt(Flag),
});
export type OlCustomerQuery = Static<typeof OlCustomerQuery>;

export const OlTransactionQuery = Type.Object({
  ...OlPaging,
  customerId: Opt(Text(64)),
  documentType: Opt(Type.Union([Type.Literal('sell'), Type.Literal('return')])),
  documentNumber: Opt(Text()),
  purchaseDateFrom: Opt(Text(40)),
  purchaseDateTo: Opt(Text(40)),
});
export type OlTransactionQuery = Static<typeof OlTransactionQuery>;

const TransferType = Type.Union(
  ['adding', 'spending', 'p2p_adding', 'p2p_spending'].map((type) => Type.Literal(type)),
);
const TransferState = Type.Union(
  ['active', 'expired', 'pending', 'canceled', 'blocked'].map((state) => Type.Literal(state)),
);
export const OlTransferQuery = Type.Object({
  ...OlPaging,
  customerId: Opt(Text(64)),
  customerEmail: Opt(Text(320)),
  customerPhone: Opt(Text(50)),
  type: Opt(TransferType),
  state: Opt(Type.Union([TransferState, Type.Array(TransferState, { maxItems: 5 })])),
  'state[]': Opt(Type.Union([TransferState, Type.Array(TransferState, { maxItems: 5 })])),
});
export type OlTransferQuery = Static<typeof OlTransferQuery>;

export const OlPageQuery = Type.Object(OlPaging);
export type OlPageQuery = Static<typeof OlPageQuery>;

export const OlSearchForm = Type.Object({
  search: Opt(
    Type.Object({
      loyaltyCardNumber: Opt(Text(64)),
      phone: Opt(Text(50)),
      email: Opt(Text(320)),
      firstName: Opt(Text(100)),
      lastName: Opt(Text(100)),
      city: Opt(Text(100)),
      postcode: Opt(Text(20)),
    }),
  ),
});
export type OlSearchForm = Static<typeof OlSearchForm>;

export const StoreParams = Type.Object({ storeCode: Type.String({ minLength: 1, maxLength: 64 }) });
export const CustomerParams = Type.Object({ ...StoreParams.properties, customer: Text(64) });
export const TransactionParams = Type.Object({ ...StoreParams.properties, transaction: Text(64) });
export const TransferParams = Type.Object({ ...StoreParams.properties, transfer: Text(64) });
export const LevelParams = Type.Object({ ...StoreParams.properties, level: Text(64) });
