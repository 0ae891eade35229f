import { createHash } from 'node:crypto';
import type { Ticket } from '../../domain/earning/types.ts';
import type { TransactionContent, TransactionInput } from './contract.ts';

/** The stored content of a ticket: the input with its defaults made explicit. */
export function toContent(
  input: TransactionInput,
  defaults: { currency: string; now: Date },
): TransactionContent {
  const { customer: _identification, ...rest } = input;
  return {
    ...rest,
    source: input.source ?? 'api',
    type: input.type ?? 'sale',
    status: input.status ?? 'completed',
    channel: input.channel ?? 'pos',
    purchasedAt: input.purchasedAt ?? defaults.now.toISOString(),
    currency: input.currency ?? defaults.currency,
    lines: input.lines.map((line, index) => ({ ...line, lineId: line.lineId ?? String(index + 1) })),
  };
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Fingerprint of what a ticket says, leaving out its status (a status change is an update of the
 * same document) and the time the server filled in when the POS sent none.
 */
export function contentHash(input: TransactionInput): string {
  const { status: _status, ...rest } = input;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** The engine's view of a stored ticket. */
export function toTicket(content: TransactionContent): Ticket {
  const totals = content.totals;
  return {
    type: content.type,
    status: content.status,
    channel: content.channel,
    locationId: content.locationId ?? null,
    brandId: content.brandId ?? null,
    purchasedAt: new Date(content.purchasedAt),
    currency: content.currency,
    totals: {
      deliveryFee: totals.deliveryFee ?? 0,
      discount: totals.discount ?? 0,
      total: totals.total,
      tipsAndFees: (totals.tip ?? 0) + (totals.serviceFee ?? 0) + (totals.otherFees ?? 0),
    },
    lines: content.lines.map((line) => ({
      lineId: line.lineId!,
      sku: line.sku ?? null,
      quantity: line.quantity ?? 1,
      total: line.total,
      category: line.category ?? null,
      labels: line.labels ?? [],
    })),
  };
}
