import type { CustomerIdentification, TransactionInput } from '../../modules/transactions/contract.ts';
import type { CheerfyCombo, CheerfyItem, CheerfyTicket, CheerfyUser } from './contract.ts';

/** Cheerfy ⇄ canonical transaction. Shapes only: what earns is the engine's business. */

const SERVICE_TYPES = { 1: 'delivery', 2: 'take_away', 3: 'dine_in', 4: 'booking' } as const;
const CANCELLED = 2;

type Line = TransactionInput['lines'][number];

export function idOf(value: string | number): string {
  return String(value);
}

function modifiers(item: CheerfyItem) {
  return (item.modifiers ?? []).map((modifier) => ({
    ...(modifier.sku_code ? { sku: modifier.sku_code } : {}),
    ...(modifier.name ? { name: modifier.name } : {}),
    ...(modifier.quantity ? { quantity: modifier.quantity } : {}),
    ...(modifier.total !== undefined ? { total: modifier.total } : {}),
  }));
}

function line(item: CheerfyItem, lineId: string, total: number, parentLineId: string | null): Line {
  return {
    lineId,
    sku: item.sku_code ?? null,
    ...(item.name ? { name: item.name } : {}),
    ...(item.quantity > 0 ? { quantity: item.quantity } : {}),
    total,
    ...(item.taxes !== undefined ? { tax: item.taxes } : {}),
    modifiers: modifiers(item),
    parentLineId,
    voucherCode: item.voucher_code ?? null,
  };
}

/**
 * Items become lines; a combo becomes one line carrying its price, and its items become component
 * lines (parentLineId) priced 0, since their price is the combo's: they still count for SKU rules.
 */
function lines(ticket: CheerfyTicket): Line[] {
  const result = ticket.items.map((item, index) =>
    line(item, `item:${item.item_id ?? index + 1}`, item.total, null),
  );
  (ticket.combos ?? []).forEach((combo: CheerfyCombo, index) => {
    const comboId = `combo:${combo.item_id ?? index + 1}`;
    result.push(line(combo, comboId, combo.total, null));
    (combo.items ?? []).forEach((item, position) => {
      result.push(line(item, `${comboId}:${item.item_id ?? position + 1}`, 0, comboId));
    });
  });
  return result;
}

/** The member: the loyalty card's user_id (QR content), then external id, email, phone. */
export function memberOf(ticket: CheerfyTicket): CheerfyUser | null {
  return ticket.user ?? ticket.payments?.find((payment) => payment.user)?.user ?? null;
}

function identification(user: CheerfyUser | null): CustomerIdentification | undefined {
  if (!user) return undefined;
  const fields: CustomerIdentification = {
    ...(user.id ? { loyaltyCardNumber: user.id } : {}),
    ...(user.external_id ? { externalId: user.external_id } : {}),
    ...(user.email ? { email: user.email } : {}),
    ...(user.phone ? { phone: user.phone } : {}),
  };
  return Object.keys(fields).length > 0 ? fields : undefined;
}

export interface TranslationContext {
  locationId: string | null;
  /** The statuses the organization counts as completed (COMPLETED = 1 by default). */
  earningStatuses: number[];
  /** True when rectification_id names a ticket Regulars already has: this ticket refunds it. */
  rectifiesKnownTicket: boolean;
}

export function toTransaction(ticket: CheerfyTicket, context: TranslationContext): TransactionInput {
  const summary = ticket.summary;
  const rectification = ticket.rectification_id == null ? null : idOf(ticket.rectification_id);
  const user = memberOf(ticket);
  const customer = identification(user);
  const serviceType = ticket.service?.service_type
    ? SERVICE_TYPES[ticket.service.service_type as 1 | 2 | 3 | 4]
    : undefined;
  return {
    documentNumber: idOf(ticket.id),
    source: 'cheerfy',
    type: rectification && context.rectifiesKnownTicket ? 'return' : 'sale',
    ...(rectification && context.rectifiesKnownTicket ? { revisedDocumentNumber: rectification } : {}),
    status: context.earningStatuses.includes(ticket.status)
      ? 'completed'
      : ticket.status === CANCELLED
        ? 'cancelled'
        : 'pending',
    channel: ticket.channel === 2 ? 'online' : 'pos',
    ...(serviceType ? { serviceType } : {}),
    locationId: context.locationId,
    ...(ticket.created_at ? { purchasedAt: new Date(ticket.created_at * 1000).toISOString() } : {}),
    currency: summary.currency,
    totals: {
      ...(summary.subtotal !== undefined ? { subtotal: summary.subtotal } : {}),
      ...(summary.taxes !== undefined ? { tax: summary.taxes } : {}),
      serviceFee: summary.service_fee ?? 0,
      otherFees: summary.other_fees ?? 0,
      tip: summary.tip ?? 0,
      discount: summary.discount_amount ?? 0,
      total: summary.total,
    },
    lines: lines(ticket),
    payments: (ticket.payments ?? []).map((payment) => ({
      method: payment.type === 1 ? 'cash' : payment.type === 2 ? 'card' : 'other',
      amount: payment.amount,
      ...(payment.card_details ? { cardMasked: payment.card_details.slice(0, 30) } : {}),
    })),
    ...(customer ? { customer } : {}),
    ...(user ? { customerData: { ...user } } : {}),
    metadata: {
      ...(ticket.ticket_number != null ? { ticketNumber: ticket.ticket_number } : {}),
      ...(rectification && !context.rectifiesKnownTicket ? { rectificationId: rectification } : {}),
      ...(ticket.name ? { name: ticket.name } : {}),
      ...(ticket.additional_data ? { additionalData: ticket.additional_data } : {}),
    },
  };
}

const unix = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * The delivery as sent, with the pick-up place's name and phone that the documented answer shows
 * although the request carries neither: the POS's own when it sent them, else the location's name.
 * Regulars keeps no phone for a location, so that one is null unless the POS sent it.
 */
function deliveryOf(delivery: CheerfyTicket['delivery'], location: { name: string } | null) {
  if (!delivery) return null;
  return { pick_up_name: location?.name ?? null, pick_up_phone: null, ...delivery };
}

/** The documented 200 answer: the ticket as Cheerfy stores it, plus the request's scope. */
export function toResponse(
  ticket: CheerfyTicket,
  stored: { id: string; purchasedAt: Date; createdAt: Date },
  location: { scopeId: string | number; name: string } | null,
) {
  return {
    ticket: {
      id: ticket.id,
      ticket_number: ticket.ticket_number ?? null,
      ticket_id: stored.id,
      ticket_datetime: ticket.created_at ?? unix(stored.purchasedAt),
      created: unix(stored.createdAt),
      channel: ticket.channel ?? 1,
      status: ticket.status,
      name: ticket.name ?? null,
      notes: ticket.additional_data ?? null,
      ticket_service: ticket.service ?? null,
      ticket_delivery: deliveryOf(ticket.delivery, location),
      ticket_summary: ticket.summary,
      ticket_payment_list: ticket.payments ?? [],
      ticket_item_list: ticket.items,
      ticket_combo_list: ticket.combos ?? [],
      ticket_promotion_list: ticket.ticket_promotion_list ?? [],
    },
    scope: {
      organizations: [],
      locations: ticket.scope?.locations ?? [],
      areas: [],
      additional_data: { location: location ? [{ id: location.scopeId, name: location.name }] : [] },
    },
  };
}
