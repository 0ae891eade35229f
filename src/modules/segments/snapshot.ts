import { type SQL, sql } from 'drizzle-orm';
import { type Executor, rawRows } from '../../db/connection.ts';
import type { needsOf } from '../../domain/segments/criteria.ts';
import { CONSENT_CHANNELS, type ConsentChannel, type LabelValue } from '../../domain/segments/criteria.ts';
import type { MemberSnapshot, PurchaseLine, PurchaseTotals } from '../../domain/segments/match.ts';
import { customers } from '../customers/schema.ts';
import { pointBalances } from '../ledger/schema.ts';
import { organizations } from '../organizations/schema.ts';
import { pointTypes } from '../point-types/schema.ts';
import { customerTiers } from '../tiers/schema.ts';
import { keptPurchase } from '../transactions/purchases.ts';
import { customerLines, transactions } from '../transactions/schema.ts';
import { segmentMembers } from './schema.ts';

/**
 * One member as segment criteria see them, read in ONE round trip (the incremental path runs
 * after every ticket): profile, tier, balances and — only when a criterion needs them — the totals
 * of the member's purchases, the recent ones one by one, and the distinct lines bought (a summary
 * kept with every ticket); also the segments the member is in now, the organization's time
 * zone and its default point type.
 */

/** What `needsOf` asks, and from when purchases are read one by one (`purchasesReadFrom`). */
export type SnapshotNeeds = ReturnType<typeof needsOf> & { purchasesFrom: Date | null };

export interface LoadedSnapshot {
  /** null when the member does not exist or was deleted. */
  member: MemberSnapshot | null;
  /** The segments the member is in now (materialized membership). */
  segmentIds: string[];
  timeZone: string;
  defaultPointTypeId: string | null;
}

interface Row {
  time_zone: string;
  segment_ids: string[] | null;
  default_point_type_id: string | null;
  id: string | null;
  status: string | null;
  deleted: boolean | null;
  birth_date: string | null;
  created_at: string | Date | null;
  labels: LabelValue[] | null;
  marketing_consents: Partial<Record<ConsentChannel, { granted?: boolean }>> | null;
  tier_id: string | null;
  points: Array<{ t: string; a: number | string }> | null;
  purchases: {
    count: number;
    net: number | string;
    first: string | null;
    last: string | null;
    locations: string[];
    recent?: Array<{ at: string; net: number | string }> | null;
  } | null;
  lines: unknown;
}

function linesOf(raw: unknown): PurchaseLine[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((line: Record<string, unknown>) => ({
    sku: typeof line.sku === 'string' ? line.sku : null,
    category: typeof line.category === 'string' ? line.category : null,
    maker: typeof line.maker === 'string' ? line.maker : null,
    labels: Array.isArray(line.labels) ? (line.labels as LabelValue[]) : [],
  }));
}

function totalsOf(purchases: Row['purchases']): PurchaseTotals {
  return {
    count: purchases?.count ?? 0,
    net: Number(purchases?.net ?? 0),
    firstAt: purchases?.first ? new Date(purchases.first) : null,
    lastAt: purchases?.last ? new Date(purchases.last) : null,
    locationIds: purchases?.locations ?? [],
  };
}

/** The one statement a snapshot is read with (exported so that a test can read its plan). */
export function snapshotQuery(organizationId: string, customerId: string, needs: SnapshotNeeds): SQL {
  const kept = sql`t.organization_id = c.organization_id and t.customer_id = c.id and ${keptPurchase}`;
  // Totals, not the purchases: a regular's ticket reads a handful of numbers, not their history;
  // the purchases one by one only from where a window starts, in the same scan. Every column read
  // here is in transactions_kept_purchases_idx, so the scan reads that index and not one table
  // page per earlier ticket: add a column to the index before reading it here.
  const recent =
    needs.purchasesFrom === null
      ? sql``
      : sql`, 'recent', json_agg(json_build_object('at', t.purchased_at, 'net', t.total - t.returned_amount))
            filter (where t.purchased_at >= ${needs.purchasesFrom.toISOString()}::timestamptz)`;
  const purchases = needs.purchases
    ? sql`(select json_build_object('count', count(*), 'net', coalesce(sum(t.total - t.returned_amount), 0),
          'first', min(t.purchased_at), 'last', max(t.purchased_at),
          'locations', coalesce(array_agg(distinct t.location_id) filter (where t.location_id is not null), '{}')
          ${recent})
        from ${transactions} t where ${kept})`
    : sql`null`;
  // Kept with every ticket (transactions/purchases.ts): grows with the menu, not with the history.
  const lines = needs.lines
    ? sql`(select json_agg(json_build_object('sku', cl.sku, 'category', cl.category, 'maker', cl.maker, 'labels', cl.labels))
          from ${customerLines} cl
          where cl.organization_id = c.organization_id and cl.customer_id = c.id and cl.purchases > 0)`
    : sql`null`;
  const points = needs.points
    ? sql`(select json_agg(json_build_object('t', pb.point_type_id, 'a', pb.active)) from ${pointBalances} pb
         where pb.organization_id = c.organization_id and pb.customer_id = c.id)`
    : sql`null`;
  const tier = needs.tier
    ? sql`(select ct.tier_id from ${customerTiers} ct where ct.organization_id = c.organization_id and ct.customer_id = c.id)`
    : sql`null`;
  return sql`
    select o.time_zone,
      array(select m.segment_id from ${segmentMembers} m
            where m.organization_id = o.id and m.customer_id = ${customerId}::uuid) as segment_ids,
      (select pt.id from ${pointTypes} pt where pt.organization_id = o.id and pt.is_default limit 1) as default_point_type_id,
      c.id, c.status, c.deleted_at is not null as deleted, c.birth_date::text as birth_date, c.created_at,
      c.labels, c.marketing_consents,
      ${tier} as tier_id, ${points} as points, ${purchases} as purchases,
      ${lines} as lines
    from ${organizations} o
    left join ${customers} c on c.organization_id = o.id and c.id = ${customerId}::uuid
    where o.id = ${organizationId}::uuid`;
}

export async function loadSnapshot(
  executor: Executor,
  organizationId: string,
  customerId: string,
  needs: SnapshotNeeds,
): Promise<LoadedSnapshot> {
  const [row] = await rawRows<Row>(executor, snapshotQuery(organizationId, customerId, needs));
  if (!row) return { member: null, segmentIds: [], timeZone: 'UTC', defaultPointTypeId: null };
  const base = {
    timeZone: row.time_zone,
    defaultPointTypeId: row.default_point_type_id,
    segmentIds: row.segment_ids ?? [],
  };
  if (row.id === null || row.deleted) return { ...base, member: null };
  const consents = row.marketing_consents ?? {};
  return {
    ...base,
    member: {
      customerId: row.id,
      active: row.status === 'active',
      birthDate: row.birth_date,
      registeredAt: new Date(row.created_at!),
      labels: row.labels ?? [],
      consents: CONSENT_CHANNELS.filter((channel) => consents[channel]?.granted === true),
      tierId: row.tier_id,
      points: Object.fromEntries((row.points ?? []).map((p) => [p.t, Number(p.a)])),
      purchaseTotals: totalsOf(row.purchases),
      recentPurchases: (row.purchases?.recent ?? []).map((p) => ({
        purchasedAt: new Date(p.at),
        net: Number(p.net),
      })),
      linesBought: linesOf(row.lines),
    },
  };
}
