import { type SQL, sql } from 'drizzle-orm';
import { arrayParam, type Executor, rawRows } from '../../db/connection.ts';
import { windowStart } from '../../domain/segments/calendar.ts';
import { isWindowed, type TierBasis } from '../../domain/tiers.ts';
import { ledgerEntries, pointBalances } from '../ledger/schema.ts';
import { customerStats, transactions } from '../transactions/schema.ts';

/**
 * The value of the tier basis, for one member or for every member of an organization at once
 * (set-based). Reads the ledger's and the transactions' tables; never writes them.
 */

export interface BasisSettings {
  tierBasis: TierBasis;
  tierWindowDays: number;
  tierExcludeDeliveryFee: boolean;
  tierExcludedSkus: string[];
  tierExcludedCategories: string[];
}

export interface BasisScope {
  organizationId: string;
  /** Only these members (absent = all of the organization). */
  customerIds?: string[] | undefined;
  settings: BasisSettings;
  /** The point type the points bases read (null: nothing to read, every value is 0). */
  pointTypeId: string | null;
  now: Date;
  timeZone: string;
}

function memberFilter(column: SQL, scope: BasisScope): SQL {
  if (scope.customerIds === undefined) return sql`true`;
  if (scope.customerIds.length === 1) return sql`${column} = ${scope.customerIds[0]}::uuid`;
  return sql`${column} = any(${arrayParam(scope.customerIds, 'uuid')})`;
}

/** Credits net of cancellations and returns; transfers and spends are not earning. */
function pointsQuery(scope: BasisScope): SQL {
  const e = ledgerEntries;
  const since = isWindowed(scope.settings.tierBasis)
    ? sql`and ${e.createdAt} >= ${windowStart(scope.now, scope.timeZone, scope.settings.tierWindowDays)}`
    : sql``;
  return sql`
    select ${e.customerId} as customer_id, coalesce(sum(${e.delta}), 0)::bigint as value
    from ${e}
    where ${e.organizationId} = ${scope.organizationId} and ${e.pointTypeId} = ${scope.pointTypeId}
      and ${memberFilter(sql`${e.customerId}`, scope)}
      and (${e.kind} in ('earn', 'add', 'reverse') or (${e.kind} = 'adjust' and ${e.delta} > 0)
           or (${e.kind} = 'cancel' and ${e.delta} < 0))
      ${since}
    group by ${e.customerId}`;
}

function activePointsQuery(scope: BasisScope): SQL {
  const b = pointBalances;
  return sql`
    select ${b.customerId} as customer_id, ${b.active}::bigint as value
    from ${b}
    where ${b.organizationId} = ${scope.organizationId} and ${b.pointTypeId} = ${scope.pointTypeId}
      and ${memberFilter(sql`${b.customerId}`, scope)}`;
}

/**
 * Net spent on completed sales. With exclusions, each sale counts what is left after the delivery
 * fee and the excluded lines, scaled down by the share of it that was returned.
 */
function spentQuery(scope: BasisScope): SQL {
  const { settings } = scope;
  const excludes =
    settings.tierExcludeDeliveryFee ||
    settings.tierExcludedSkus.length > 0 ||
    settings.tierExcludedCategories.length > 0;
  if (!excludes && !isWindowed(settings.tierBasis)) {
    const s = customerStats;
    return sql`
      select ${s.customerId} as customer_id, ${s.totalSpent}::bigint as value
      from ${s}
      where ${s.organizationId} = ${scope.organizationId} and ${memberFilter(sql`${s.customerId}`, scope)}`;
  }
  const t = transactions;
  const fee = settings.tierExcludeDeliveryFee
    ? sql`coalesce((${t.content} #>> '{totals,deliveryFee}')::bigint, 0)`
    : sql`0`;
  const lineTests: SQL[] = [];
  if (settings.tierExcludedSkus.length > 0)
    lineTests.push(sql`l->>'sku' = any(${arrayParam(settings.tierExcludedSkus, 'text')})`);
  if (settings.tierExcludedCategories.length > 0)
    lineTests.push(sql`l->>'category' = any(${arrayParam(settings.tierExcludedCategories, 'text')})`);
  const excludedLines =
    lineTests.length === 0
      ? sql`0`
      : sql`(select coalesce(sum((l->>'total')::bigint), 0) from jsonb_array_elements(${t.content}->'lines') l
             where ${sql.join(lineTests, sql` or `)})`;
  const since = isWindowed(settings.tierBasis)
    ? sql`and ${t.purchasedAt} >= ${windowStart(scope.now, scope.timeZone, settings.tierWindowDays)}`
    : sql``;
  return sql`
    select ${t.customerId} as customer_id,
      coalesce(sum(case when ${t.total} = 0 then 0 else
        floor(greatest(${t.total} - ${fee} - ${excludedLines}, 0)::numeric
              * (${t.total} - ${t.returnedAmount}) / ${t.total}) end), 0)::bigint as value
    from ${t}
    where ${t.organizationId} = ${scope.organizationId} and ${t.customerId} is not null
      and ${memberFilter(sql`${t.customerId}`, scope)}
      and ${t.type} = 'sale' and ${t.status} = 'completed'
      ${since}
    group by ${t.customerId}`;
}

export function basisQuery(scope: BasisScope): SQL {
  const noPoints = sql`select null::uuid as customer_id, 0::bigint as value where false`;
  switch (scope.settings.tierBasis) {
    case 'lifetime_points':
    case 'points_in_window':
      return scope.pointTypeId === null ? noPoints : pointsQuery(scope);
    case 'active_points':
      return scope.pointTypeId === null ? noPoints : activePointsQuery(scope);
    case 'total_spent':
    case 'spent_in_window':
      return spentQuery(scope);
  }
}

/** Basis value by member id; members with nothing to count are absent (their value is 0). */
export async function basisValues(executor: Executor, scope: BasisScope): Promise<Map<string, number>> {
  const rows = await rawRows<{ customer_id: string; value: string | number }>(executor, basisQuery(scope));
  return new Map(rows.map((row) => [row.customer_id, Number(row.value)]));
}
