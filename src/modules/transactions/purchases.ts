import { type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { PartRead } from '../../db/together.ts';
import type { TransactionContent } from './contract.ts';
import { customerLines, customerStats, keptPurchaseOf, transactions } from './schema.ts';

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
 * nothing, never returned, counts). `keptPurchase` is the same test in SQL.
 */
export function isKeptPurchase(sale: { status: string; total: number; returnedAmount?: number }): boolean {
  const returned = sale.returnedAmount ?? 0;
  return sale.status === 'completed' && (returned === 0 || returned < sale.total);
}

/** SQL: the ticket `t` (the queries' alias for transactions) counts as a purchase for segments. */
export const keptPurchase = keptPurchaseOf(alias(transactions, 't'));

/** The distinct lines (sku, category, maker, labels) of a JSON array of ticket lines. */
const distinctLines = (lines: SQL) =>
  sql`(select distinct l->>'sku' as sku, l->>'category' as category, l->>'maker' as maker, l->'labels' as labels
       from jsonb_array_elements(${lines}) l)`;

/**
 * A line's identity: md5 of [sku, category, maker, labels] (any field may be null), computed
 * here and in the backfill of drizzle/0010_customer_lines.sql alike.
 */
const lineKey = sql`md5(jsonb_build_array(line.sku, line.category, line.maker, line.labels)::text)`;

/**
 * Counts the distinct lines of one purchase in (+1) or out (-1) of the member's lines bought.
 * Rows are written in key order, so two tickets of one member lock them in the same order and
 * never deadlock.
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
    select ${organizationId}::uuid, ${customerId}::uuid, ${lineKey},
      line.sku, line.category, line.maker, line.labels, ${delta}::integer
    from ${distinctLines(sql`${JSON.stringify(identities)}::jsonb`)} line
    order by 3
    on conflict (organization_id, customer_id, line_key) do update
      set purchases = ${customerLines}.purchases + excluded.purchases`;
}

/**
 * Every member's lines bought, built from the organization's tickets at once: what migration
 * 0010 did for existing data, for tools that load tickets without the ticket path (bench seeds).
 */
export function linesBoughtFromTickets(organizationId: string): SQL {
  return sql`
    insert into ${customerLines} (organization_id, customer_id, line_key, sku, category, maker, labels, purchases)
    select t.organization_id, t.customer_id, ${lineKey}, line.sku, line.category, line.maker, line.labels, count(*)
    from ${transactions} t cross join lateral ${distinctLines(sql`t.content->'lines'`)} line
    where t.organization_id = ${organizationId} and t.customer_id is not null and ${keptPurchase}
    group by t.organization_id, t.customer_id, line.sku, line.category, line.maker, line.labels`;
}
