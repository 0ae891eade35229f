import { type SQL, sql } from 'drizzle-orm';
import type { PartRead } from '../../db/together.ts';
import type { TransactionContent } from './contract.ts';
import { customerLines, customerStats } from './schema.ts';

/**
 * What a member's purchases add up to, kept beside the tickets so that a ticket never reads the
 * member's whole history: the statistics (count, money, first and last purchase) and the distinct
 * lines bought. Each write rides on the ticket's own statement or follows its status change.
 */

/** How many purchases the member made before, as a part of the member's read. */
export function purchasesPart(organizationId: string, customerId: string): PartRead<number> {
  return {
    json: sql`select transactions_count from ${customerStats}
              where organization_id = ${organizationId} and customer_id = ${customerId}`,
    decode: (value) => Number(value ?? 0),
  };
}

/** Counts a purchase (or takes one back) in the member's statistics. */
export function statsWrite(
  organizationId: string,
  customerId: string,
  delta: { count: number; spent: number; at: Date | null },
): SQL {
  return sql`
    insert into ${customerStats} (organization_id, customer_id, transactions_count, total_spent,
      first_purchase_at, last_purchase_at)
    values (${organizationId}, ${customerId}, ${Math.max(delta.count, 0)}, ${delta.spent}, ${delta.at}, ${delta.at})
    on conflict (organization_id, customer_id) do update set
      transactions_count = ${customerStats}.transactions_count + ${delta.count},
      total_spent = ${customerStats}.total_spent + ${delta.spent},
      first_purchase_at = least(${customerStats}.first_purchase_at, excluded.first_purchase_at),
      last_purchase_at = greatest(${customerStats}.last_purchase_at, excluded.last_purchase_at)`;
}

/**
 * Whether a sale counts as a purchase for segments: completed and not fully returned (a sale of
 * nothing, never returned, counts). The same test as the segments' SQL (segments/compile.ts).
 */
export function isKeptPurchase(sale: { status: string; total: number; returnedAmount?: number }): boolean {
  const returned = sale.returnedAmount ?? 0;
  return sale.status === 'completed' && (returned === 0 || returned < sale.total);
}

/**
 * Counts the distinct lines of one purchase in (+1) or out (-1) of the member's lines bought.
 * A line's identity is md5 of [sku, category, maker, labels], computed here and in the backfill of
 * drizzle/0010_customer_lines.sql alike. Rows are written in key order, so two tickets of one
 * member lock them in the same order and never deadlock.
 */
export function linesBoughtWrite(
  organizationId: string,
  customerId: string,
  lines: TransactionContent['lines'],
  delta: 1 | -1,
): SQL {
  const identities = lines.map(({ sku, category, maker, labels }) => ({ sku, category, maker, labels }));
  return sql`
    insert into ${customerLines} (organization_id, customer_id, line_key, sku, category, maker, labels, purchases)
    select ${organizationId}::uuid, ${customerId}::uuid, md5(jsonb_build_array(sku, category, maker, labels)::text),
      sku, category, maker, labels, ${delta}::integer
    from (select distinct l->>'sku' as sku, l->>'category' as category, l->>'maker' as maker, l->'labels' as labels
          from jsonb_array_elements(${JSON.stringify(identities)}::jsonb) l) line
    order by 3
    on conflict (organization_id, customer_id, line_key) do update
      set purchases = ${customerLines}.purchases + excluded.purchases`;
}
