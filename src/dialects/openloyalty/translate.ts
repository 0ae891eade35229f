import { toPoints } from '../../domain/points.ts';
import { validationFailed } from '../../errors.ts';
import type { CreateCustomerBody, UpdateCustomerBody } from '../../modules/customers/contract.ts';
import type { Customer } from '../../modules/customers/service.ts';
import {
  MOVEMENT_DIRECTIONS,
  type Movement,
  type MovementDirection,
  type PointTypeBalance,
} from '../../modules/ledger/service.ts';
import type { TierRow } from '../../modules/tiers/store.ts';
import type { TransactionInput } from '../../modules/transactions/contract.ts';
import type { TransactionRow } from '../../modules/transactions/service.ts';
import type { OlCustomerData, OlCustomerFields, OlItem, OlTransactionFields } from './contract.ts';
import {
  countryCode,
  isSet,
  olDate,
  olMoney,
  olPercent,
  parseLabelString,
  parseOlDate,
  toMinor,
} from './format.ts';

/**
 * Open Loyalty's shapes ⇄ Regulars': field names, units and formats only. Every number comes
 * from the services; nothing here decides who earns, spends or holds a level.
 */

/** What the views need to know about the store (the organization). */
export interface Store {
  currency: string;
  timeZone: string;
}

/** Leaves out what is undefined: a change names only what it changes (null clears). */
function defined<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** Leaves out what is null or undefined: OL's serializer prints no null fields. */
function present<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(object).filter(([, value]) => value !== null && value !== undefined),
  ) as Partial<T>;
}

const blankToNull = (value: string | undefined) =>
  value === undefined ? undefined : value.trim() === '' ? null : value.trim();

// ---------------------------------------------------------------------------------------------
// Customers

/**
 * OL's agreements: `agreement1` is the program's terms, `agreement2` marketing (OL's newsletter
 * consent), `agreement3` the privacy policy (OL's third agreement, data processing).
 */
function agreementsOf(fields: OlCustomerFields) {
  const agreements = present({
    terms: fields.agreement1 === undefined ? undefined : isSet(fields.agreement1),
    privacy: fields.agreement3 === undefined ? undefined : isSet(fields.agreement3),
  });
  const marketing =
    fields.agreement2 === undefined
      ? undefined
      : { email: isSet(fields.agreement2), sms: isSet(fields.agreement2) };
  return { agreements: Object.keys(agreements).length > 0 ? agreements : undefined, marketing };
}

function addressOf(fields: OlCustomerFields, path: string): UpdateCustomerBody['address'] {
  const address = fields.address;
  if (address === undefined) return undefined;
  const country = blankToNull(address.country);
  const code = country ? countryCode(country) : country;
  if (country && !code) throw validationFailed(`${path}.country`, 'is not a country');
  // OL replaces the address as a whole: what is not sent is cleared.
  return {
    street: blankToNull(address.street) ?? null,
    address1: blankToNull(address.address1) ?? null,
    address2: blankToNull(address.address2) ?? null,
    postalCode: blankToNull(address.postal) ?? null,
    city: blankToNull(address.city) ?? null,
    province: blankToNull(address.province) ?? null,
    country: code ?? null,
  };
}

/**
 * OL's customer form as a Regulars change: omitted fields stay, empty ones are cleared, `address`
 * and `company` are replaced whole (OL's update rules).
 */
export function toCustomerChange(fields: OlCustomerFields): UpdateCustomerBody {
  const { agreements, marketing } = agreementsOf(fields);
  const gender = fields.gender === undefined ? undefined : fields.gender === '' ? null : fields.gender;
  const birthDate = blankToNull(fields.birthDate);
  return defined({
    firstName: blankToNull(fields.firstName),
    lastName: blankToNull(fields.lastName),
    email: blankToNull(fields.email),
    phone: blankToNull(fields.phone),
    gender,
    birthDate: birthDate ? birthDate.slice(0, 10) : birthDate,
    address: addressOf(fields, 'body.address'),
    company:
      fields.company === undefined
        ? undefined
        : { name: blankToNull(fields.company.name) ?? null, taxId: blankToNull(fields.company.nip) ?? null },
    loyaltyCardNumber: blankToNull(fields.loyaltyCardNumber),
    labels: fields.labels === undefined ? undefined : parseLabelString(fields.labels),
    agreements,
    marketingConsents: marketing,
  }) as UpdateCustomerBody;
}

export function toCustomerInput(fields: OlCustomerFields): CreateCustomerBody {
  return { ...toCustomerChange(fields), source: 'openloyalty' } as CreateCustomerBody;
}

/** Regulars' field paths (as the customers service reports them) → OL's form children. */
const CUSTOMER_FIELDS: Record<string, string> = {
  'address.postalCode': 'address.postal',
  'company.taxId': 'company.nip',
  'agreements.terms': 'agreement1',
  'marketingConsents.email': 'agreement2',
  'marketingConsents.sms': 'agreement2',
  'agreements.privacy': 'agreement3',
};
export const customerFieldOf = (path: string) => CUSTOMER_FIELDS[path] ?? path;

export interface CustomerFacts {
  stats: {
    transactionsCount: number;
    totalSpent: number;
    averageTicket: number;
    lastPurchaseAt: Date | null;
  };
  tier: { current: TierRow | null; manual: TierRow | null };
}

function levelOf(tier: TierRow) {
  return {
    levelId: { id: tier.id, levelId: tier.id },
    name: tier.name,
    translations: { en: { name: tier.name } },
  };
}

const STATUS_TYPES = ['new', 'active', 'blocked', 'deleted'];
const CARD_STATES = ['no-card', 'card-sent', 'with-card'];

/** A member as OL's `GET /customer/<id>` shows one. */
export function toOlCustomer(customer: Customer, facts: CustomerFacts, store: Store) {
  const date = (value: Date | null | undefined) => (value ? olDate(value, store.timeZone) : undefined);
  const address = (customer.address ?? {}) as Record<string, string | null | undefined>;
  const company = customer.company as Record<string, string | null | undefined> | null;
  const agreements = customer.agreements ?? {};
  const marketing = customer.marketingConsents ?? {};
  const { current, manual } = facts.tier;
  const { stats } = facts;
  return present({
    customerId: customer.id,
    active: customer.status === 'active',
    firstName: customer.firstName,
    lastName: customer.lastName,
    gender: customer.gender,
    email: customer.email,
    phone: customer.phone,
    birthDate: customer.birthDate
      ? olDate(parseOlDate(customer.birthDate, store.timeZone, 'birthDate'), store.timeZone)
      : undefined,
    address: present({
      street: address.street,
      address1: address.address1,
      address2: address.address2,
      postal: address.postalCode,
      city: address.city,
      province: address.province,
      country: address.country,
    }),
    company: company ? present({ name: company.name, nip: company.taxId }) : undefined,
    loyaltyCardNumber: customer.loyaltyCardNumber,
    createdAt: date(customer.createdAt),
    levelId: current?.id,
    manuallyAssignedLevelId: manual ? { levelId: manual.id } : undefined,
    agreement1: agreements.terms?.granted === true,
    agreement2: marketing.email?.granted === true,
    agreement3: agreements.privacy?.granted === true,
    status: {
      availableTypes: STATUS_TYPES,
      availableStates: CARD_STATES,
      type: customer.status === 'active' ? 'active' : customer.status === 'blocked' ? 'blocked' : 'new',
      state: 'no-card',
    },
    updatedAt: date(customer.updatedAt),
    campaignPurchases: [],
    transactionsCount: stats.transactionsCount,
    transactionsAmount: olMoney(stats.totalSpent, store.currency),
    transactionsAmountWithoutDeliveryCosts: olMoney(stats.totalSpent, store.currency),
    amountExcludedForLevel: 0,
    averageTransactionAmount: olMoney(stats.averageTicket, store.currency),
    lastTransactionDate: date(stats.lastPurchaseAt),
    labels: customer.labels ?? [],
    level: current ? levelOf(current) : undefined,
    currency: store.currency.toLowerCase(),
    segments: [],
    levelPercent: olPercent(current?.discountPercent ?? 0),
  });
}

/** OL's customer status: the points account and the level in numbers. */
export function toOlStatus(
  customer: Customer,
  balance: PointTypeBalance,
  facts: CustomerFacts & { next: TierRow | null; missingForNext: number | null; unit: 'points' | 'money' },
  store: Store,
) {
  const { current } = facts.tier;
  const { next, stats } = facts;
  const condition = (tier: TierRow) =>
    facts.unit === 'points' ? toPoints(tier.threshold) : olMoney(tier.threshold, store.currency);
  const missing = facts.missingForNext ?? undefined;
  const breakdown = Object.fromEntries(balance.expiring.map((lot) => [lot.date, toPoints(lot.points)]));
  return present({
    firstName: customer.firstName,
    lastName: customer.lastName,
    customerId: customer.id,
    points: toPoints(balance.active),
    totalEarnedPoints: toPoints(balance.earned),
    usedPoints: toPoints(balance.spent),
    expiredPoints: toPoints(balance.expired),
    lockedPoints: toPoints(balance.pending),
    blockedPoints: toPoints(balance.blocked),
    level: current ? olPercent(current.discountPercent) : undefined,
    levelName: current?.name,
    levelConditionValue: current ? condition(current) : undefined,
    nextLevel: next ? olPercent(next.discountPercent) : undefined,
    nextLevelName: next?.name,
    nextLevelConditionValue: next ? condition(next) : undefined,
    pointsToNextLevel:
      next && facts.unit === 'points' && missing !== undefined ? toPoints(missing) : undefined,
    transactionsAmountToNextLevel:
      next && facts.unit === 'money' && missing !== undefined ? olMoney(missing, store.currency) : undefined,
    transactionsAmountToNextLevelWithoutDeliveryCosts:
      next && facts.unit === 'money' && missing !== undefined ? olMoney(missing, store.currency) : undefined,
    transactionsAmountWithoutDeliveryCosts: olMoney(stats.totalSpent, store.currency),
    averageTransactionsAmount: olMoney(stats.averageTicket, store.currency).toFixed(2),
    transactionsCount: stats.transactionsCount,
    transactionsAmount: olMoney(stats.totalSpent, store.currency),
    currency: store.currency.toLowerCase(),
    pointsExpiringNextMonth: toPoints(balance.expiring.reduce((sum, lot) => sum + lot.points, 0)),
    pointsExpiringBreakdown: breakdown,
  });
}

// ---------------------------------------------------------------------------------------------
// Transactions

function identificationOf(data: OlCustomerData | undefined): TransactionInput['customer'] {
  if (!data) return undefined;
  const identification = present({
    loyaltyCardNumber: blankToNull(data.loyaltyCardNumber) ?? undefined,
    email: blankToNull(data.email) ?? undefined,
    phone: blankToNull(data.phone) ?? undefined,
  });
  return Object.keys(identification).length > 0 ? identification : undefined;
}

function lineOf(item: OlItem, index: number, store: Store): TransactionInput['lines'][number] {
  const path = `body.items.${index}`;
  if (item.grossValue === undefined) throw validationFailed(`${path}.grossValue`, 'should not be blank');
  const total = toMinor(item.grossValue, store.currency, `${path}.grossValue`);
  if (total < 0) throw validationFailed(`${path}.grossValue`, 'must not be negative');
  const quantity = item.quantity === undefined ? undefined : Number(item.quantity);
  if (quantity !== undefined && !(quantity > 0))
    throw validationFailed(`${path}.quantity`, 'must be greater than 0');
  return present({
    sku: blankToNull(item.sku?.code),
    name: blankToNull(item.name) ?? undefined,
    quantity,
    total,
    category: blankToNull(item.category),
    maker: blankToNull(item.maker),
    labels: item.labels?.map((label) => ({ key: label.key ?? '', value: label.value ?? '' })),
  }) as TransactionInput['lines'][number];
}

/** OL's transaction document as a Regulars ticket from the `openloyalty` source. */
export function toTransactionInput(
  fields: OlTransactionFields,
  store: Store,
  options: { simulation?: boolean } = {},
): TransactionInput {
  const data = fields.transactionData ?? {};
  // A simulation has no document: it is never stored.
  const documentNumber = options.simulation ? 'simulation' : blankToNull(data.documentNumber);
  if (!documentNumber) throw validationFailed('body.transactionData.documentNumber', 'should not be blank');
  const type = data.documentType ?? 'sell';
  const lines = (fields.items ?? []).map((item, index) => lineOf(item, index, store));
  const total = lines.reduce((sum, line) => sum + line.total, 0);
  const purchaseDate = blankToNull(data.purchaseDate ?? fields.purchaseDate);
  const revised = blankToNull(fields.revisedDocument);
  if (type === 'return' && !revised) throw validationFailed('body.revisedDocument', 'should not be blank');
  return present({
    documentNumber,
    source: 'openloyalty',
    type: type === 'return' ? ('return' as const) : ('sale' as const),
    revisedDocumentNumber: type === 'return' ? (revised ?? undefined) : undefined,
    purchasedAt: purchaseDate
      ? parseOlDate(purchaseDate, store.timeZone, 'body.transactionData.purchaseDate').toISOString()
      : undefined,
    totals: { total },
    lines,
    customer: identificationOf(fields.customerData),
    customerData: fields.customerData as Record<string, unknown> | undefined,
    labels: fields.labels?.map((label) => ({ key: label.key ?? '', value: label.value ?? '' })),
    metadata: present({ purchasePlace: blankToNull(data.purchasePlace), posId: blankToNull(fields.posId) }),
  }) as TransactionInput;
}

/** Regulars' ticket paths → OL's transaction form children. */
export function transactionFieldOf(path: string): string {
  const line = /^lines\.(\d+)\.(total|quantity|sku|name|category|maker|labels)(.*)$/.exec(path);
  if (line) {
    const field = { total: 'grossValue', sku: 'sku.code' }[line[2]!] ?? line[2]!;
    return `items.${line[1]}.${field}${line[3]}`;
  }
  const named: Record<string, string> = {
    documentNumber: 'transactionData.documentNumber',
    purchasedAt: 'transactionData.purchaseDate',
    revisedDocumentNumber: 'revisedDocument',
    type: 'transactionData.documentType',
  };
  return named[path] ?? path;
}

function olLabels(labels: { key: string; value: string }[] | undefined) {
  return (labels ?? []).map((label) => ({ key: label.key, value: label.value }));
}

function olItems(row: TransactionRow) {
  return row.content.lines.map((line) =>
    present({
      sku: { code: line.sku ?? '' },
      name: line.name,
      quantity: line.quantity ?? 1,
      grossValue: olMoney(line.total, row.currency),
      category: line.category,
      maker: line.maker,
      labels: olLabels(line.labels),
    }),
  );
}

/** A ticket as OL's `GET /transaction/<id>` shows one. */
export function toOlTransaction(row: TransactionRow, store: Store) {
  const metadata = (row.content.metadata ?? {}) as Record<string, unknown>;
  return present({
    grossValue: olMoney(row.total, row.currency),
    transactionId: row.id,
    documentNumber: row.documentNumber,
    purchaseDate: olDate(row.purchasedAt, store.timeZone),
    purchasePlace: typeof metadata.purchasePlace === 'string' ? metadata.purchasePlace : undefined,
    documentType: row.type === 'return' ? 'return' : 'sell',
    revisedDocument: row.content.revisedDocumentNumber,
    customerId: row.customerId,
    assignedToCustomerDate: row.customerId ? olDate(row.createdAt, store.timeZone) : undefined,
    customerData: row.content.customerData ?? {},
    labels: olLabels(row.content.labels),
    items: olItems(row),
    currency: row.currency.toLowerCase(),
    pointsEarned: toPoints(row.pointsEarned),
    posId: typeof metadata.posId === 'string' ? metadata.posId : undefined,
  });
}

// ---------------------------------------------------------------------------------------------
// Points transfers

/** OL's transfer types: names for the ledger's movement directions. */
const OL_TRANSFER_TYPES: Record<MovementDirection, string> = {
  credit: 'adding',
  debit: 'spending',
  transfer_in: 'p2p_adding',
  transfer_out: 'p2p_spending',
};

/** The ledger directions an OL `type` filter names. */
export function directionsOfOlType(type: string): MovementDirection[] {
  return MOVEMENT_DIRECTIONS.filter((direction) => OL_TRANSFER_TYPES[direction] === type);
}

const ISSUERS: Record<string, string> = {
  system: 'system',
  member: 'customer',
  staff: 'admin',
  api_key: 'admin',
};

export function toOlTransfer(
  entry: Movement,
  customer: Customer | undefined,
  context: { store: Store; documentNumbers: ReadonlyMap<string, string> },
) {
  const transactionId = entry.sourceType === 'transaction' ? entry.sourceId : null;
  return present({
    pointsTransferId: entry.id,
    accountId: entry.customerId,
    customerId: entry.customerId,
    customerFirstName: customer?.firstName,
    customerLastName: customer?.lastName,
    customerLoyaltyCardNumber: customer?.loyaltyCardNumber,
    customerEmail: customer?.email,
    customerPhone: customer?.phone,
    createdAt: olDate(entry.createdAt, context.store.timeZone),
    expiresAt: entry.expiresAt ? olDate(entry.expiresAt, context.store.timeZone) : undefined,
    value: toPoints(Math.abs(entry.points)),
    state: entry.state,
    type: OL_TRANSFER_TYPES[entry.direction],
    transactionId: transactionId ? { transactionId } : undefined,
    comment: entry.reason,
    issuer: ISSUERS[entry.actorType] ?? 'system',
    transactionDocumentNumber: transactionId ? context.documentNumbers.get(transactionId) : undefined,
  });
}

// ---------------------------------------------------------------------------------------------
// Levels

export function toOlLevel(tier: TierRow, unit: 'points' | 'money', store: Store) {
  return present({
    levelId: tier.id,
    id: tier.id,
    name: tier.name,
    description: tier.description ?? '',
    active: tier.active,
    conditionValue: unit === 'points' ? toPoints(tier.threshold) : olMoney(tier.threshold, store.currency),
    reward: { name: tier.name, value: tier.discountPercent / 10_000, code: '' },
    hasPhoto: false,
    translations: { en: { name: tier.name, description: tier.description ?? '' } },
  });
}

/** The fields OL's customer-facing level list shows. */
export function toOlCustomerLevel(tier: TierRow, unit: 'points' | 'money', store: Store) {
  const { name, description, conditionValue, hasPhoto } = toOlLevel(tier, unit, store);
  return { name, description, conditionValue, hasPhoto };
}
