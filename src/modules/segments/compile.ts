import { type SQL, sql } from 'drizzle-orm';
import { arrayParam } from '../../db/connection.ts';
import { anniversaryDays, localToday, windowStart } from '../../domain/segments/calendar.ts';
import {
  CONSENT_CHANNELS,
  type Criterion,
  PURCHASE_CRITERIA,
  type SegmentPart,
} from '../../domain/segments/criteria.ts';
import { labelKey } from '../../domain/segments/match.ts';
import { customers } from '../customers/schema.ts';
import { pointBalances } from '../ledger/schema.ts';
import { customerTiers } from '../tiers/schema.ts';
import { keptPurchase } from '../transactions/purchases.ts';
import { transactions } from '../transactions/schema.ts';

/**
 * A segment's criteria compiled to one set-based query: the ids of every matching member of the
 * organization. The same rules as domain/segments/match.ts (a differential test keeps them equal).
 *
 * Shape: the members (`c`), left-joined to ONE aggregate over their purchases (`s`, one column or
 * two per purchase criterion, computed in a single scan of the organization's transactions) and,
 * when needed, to their tier (`ct`); the WHERE clause is the AND of parts, each the OR of its
 * criteria.
 */

export interface CompileContext {
  organizationId: string;
  now: Date;
  timeZone: string;
  defaultPointTypeId: string | null;
}

const at = (date: Date) => sql`${date.toISOString()}::timestamptz`;

function range(value: SQL, min: number | null, max: number | null): SQL {
  const bounds: SQL[] = [];
  if (min !== null) bounds.push(sql`${value} >= ${min}`);
  if (max !== null) bounds.push(sql`${value} <= ${max}`);
  return bounds.length === 0 ? sql`true` : sql.join(bounds, sql` and `);
}

/** Lines of the ticket whose `field` is one of the values, lower-cased on both sides. */
function anyLine(field: 'sku' | 'category' | 'maker', values: string[]): SQL {
  const wanted = arrayParam(
    values.map((v) => v.toLowerCase()),
    'text',
  );
  return sql`exists (select 1 from jsonb_array_elements(t.content->'lines') l where lower(l->>${sql.raw(`'${field}'`)}) = any(${wanted}))`;
}

function anyLabelledLine(labels: { key: string; value: string }[]): SQL {
  const wanted = arrayParam(
    labels.map((l) => labelKey(l.key, l.value)),
    'text',
  );
  return sql`exists (
    select 1 from jsonb_array_elements(t.content->'lines') l
    cross join jsonb_array_elements(case when jsonb_typeof(l->'labels') = 'array' then l->'labels' else '[]'::jsonb end) lb
    where lower(lb->>'key') || chr(31) || lower(lb->>'value') = any(${wanted}))`;
}

interface Compiled {
  /** Aggregate columns over the member's purchases (`t`), named a<i>. */
  aggregates: SQL[];
  condition: SQL;
  needsTier: boolean;
}

function compileCriterion(criterion: Criterion, index: number, context: CompileContext): Compiled {
  const a = sql.raw(`s.a${index}`);
  const n = sql.raw(`s.a${index}_n`);
  const as = (expression: SQL, suffix = '') => sql`${expression} as ${sql.raw(`a${index}${suffix}`)}`;
  const sinceFilter = (days: number | null) =>
    days === null
      ? sql``
      : sql` filter (where t.purchased_at >= ${at(windowStart(context.now, context.timeZone, days))})`;
  const plain = (condition: SQL): Compiled => ({ aggregates: [], condition, needsTier: false });
  switch (criterion.type) {
    case 'bought_at_locations':
      return {
        aggregates: [as(sql`bool_or(t.location_id = any(${arrayParam(criterion.locationIds, 'uuid')}))`)],
        condition: sql`coalesce(${a}, false)`,
        needsTier: false,
      };
    case 'transaction_count':
      return {
        aggregates: [as(sql`count(*)${sinceFilter(criterion.days)}`)],
        condition: range(sql`coalesce(${a}, 0)`, criterion.min, criterion.max),
        needsTier: false,
      };
    case 'average_ticket': {
      const bounds: SQL[] = [sql`coalesce(${n}, 0) > 0`];
      if (criterion.min !== null) bounds.push(sql`${a} >= ${criterion.min}::numeric * ${n}`);
      if (criterion.max !== null) bounds.push(sql`${a} <= ${criterion.max}::numeric * ${n}`);
      return {
        aggregates: [as(sql`sum(t.total - t.returned_amount)`), as(sql`count(*)`, '_n')],
        condition: sql.join(bounds, sql` and `),
        needsTier: false,
      };
    }
    case 'total_spent':
      return {
        aggregates: [as(sql`sum(t.total - t.returned_amount)${sinceFilter(criterion.days)}`)],
        condition: range(sql`coalesce(${a}, 0)`, criterion.min, criterion.max),
        needsTier: false,
      };
    case 'purchase_period': {
      const bounds: SQL[] = [];
      if (criterion.from !== null) bounds.push(sql`t.purchased_at >= ${at(new Date(criterion.from))}`);
      if (criterion.to !== null) bounds.push(sql`t.purchased_at < ${at(new Date(criterion.to))}`);
      return {
        aggregates: [as(sql`bool_or(${bounds.length === 0 ? sql`true` : sql.join(bounds, sql` and `)})`)],
        condition: sql`coalesce(${a}, false)`,
        needsTier: false,
      };
    }
    case 'bought_skus':
      return {
        aggregates: [as(sql`bool_or(${anyLine('sku', criterion.skus)})`)],
        condition: sql`coalesce(${a}, false)`,
        needsTier: false,
      };
    case 'bought_categories':
      return {
        aggregates: [as(sql`bool_or(${anyLine('category', criterion.categories)})`)],
        condition: sql`coalesce(${a}, false)`,
        needsTier: false,
      };
    case 'bought_makers':
      return {
        aggregates: [as(sql`bool_or(${anyLine('maker', criterion.makers)})`)],
        condition: sql`coalesce(${a}, false)`,
        needsTier: false,
      };
    case 'bought_labels':
      return {
        aggregates: [as(sql`bool_or(${anyLabelledLine(criterion.labels)})`)],
        condition: sql`coalesce(${a}, false)`,
        needsTier: false,
      };
    case 'last_purchase_days_ago':
      return {
        aggregates: [as(sql`max(t.purchased_at)`)],
        condition: sql`coalesce(${a} < ${at(windowStart(context.now, context.timeZone, criterion.days))}, false)`,
        needsTier: false,
      };
    case 'anniversary': {
      const days = arrayParam(anniversaryDays(context.now, context.timeZone, criterion.days), 'text');
      if (criterion.anniversaryType === 'birthday') {
        return plain(sql`coalesce(to_char(c.birth_date, 'MM-DD') = any(${days}), false)`);
      }
      const local = sql`(c.created_at at time zone ${context.timeZone})`;
      return plain(
        sql`(to_char(${local}, 'MM-DD') = any(${days}) and ${local}::date < ${localToday(context.now, context.timeZone)}::date)`,
      );
    }
    case 'customer_has_labels':
      return plain(
        sql`(${sql.join(
          criterion.labels.map(
            (label) =>
              sql`c.labels @> ${JSON.stringify([label.value === undefined ? { key: label.key } : { key: label.key, value: label.value }])}::jsonb`,
          ),
          sql` or `,
        )})`,
      );
    case 'customer_list':
      return plain(sql`c.id = any(${arrayParam(criterion.customerIds, 'uuid')})`);
    case 'tier_in':
      return {
        aggregates: [],
        condition: sql`coalesce(ct.tier_id = any(${arrayParam(criterion.tierIds, 'uuid')}), false)`,
        needsTier: true,
      };
    case 'points_balance': {
      const pointTypeId = criterion.pointTypeId ?? context.defaultPointTypeId;
      const points =
        pointTypeId === null
          ? sql`0`
          : sql`coalesce((select pb.active from ${pointBalances} pb where pb.organization_id = c.organization_id
              and pb.customer_id = c.id and pb.point_type_id = ${pointTypeId}::uuid), 0)`;
      return plain(sql`(${range(points, criterion.min, criterion.max)})`);
    }
    case 'marketing_consent': {
      const channels = criterion.channels.length > 0 ? criterion.channels : [...CONSENT_CHANNELS];
      return plain(
        sql`(${sql.join(
          channels.map(
            (channel) =>
              sql`coalesce((c.marketing_consents #>> ${`{${channel},granted}`}::text[])::boolean, false)`,
          ),
          sql` or `,
        )})`,
      );
    }
  }
}

/**
 * The query selecting `customer_id` of every member of the organization in the segment (or,
 * with `customerIds`, of those members only).
 */
export function matchingMembersQuery(
  parts: readonly SegmentPart[],
  context: CompileContext,
  options: { customerIds?: string[] } = {},
): SQL {
  const aggregates: SQL[] = [];
  let needsTier = false;
  let index = 0;
  const partConditions = parts.map((part) => {
    const alternatives = part.criteria.map((criterion) => {
      const compiled = compileCriterion(criterion, index++, context);
      aggregates.push(...compiled.aggregates);
      needsTier ||= compiled.needsTier;
      // Only active members match, except on an explicit customer list.
      return criterion.type === 'customer_list'
        ? compiled.condition
        : sql`(c.status = 'active' and ${compiled.condition})`;
    });
    return sql`(${sql.join(alternatives, sql` or `)})`;
  });
  const usesPurchases = parts.some((part) => part.criteria.some((c) => PURCHASE_CRITERIA.has(c.type)));
  const only =
    options.customerIds === undefined
      ? sql``
      : sql` and c.id = any(${arrayParam(options.customerIds, 'uuid')})`;
  const onlyPurchases =
    options.customerIds === undefined
      ? sql``
      : sql` and t.customer_id = any(${arrayParam(options.customerIds, 'uuid')})`;
  const purchases =
    usesPurchases && aggregates.length > 0
      ? sql`left join (
          select t.customer_id, ${sql.join(aggregates, sql`, `)}
          from ${transactions} t
          where t.organization_id = ${context.organizationId} and t.customer_id is not null
            and ${keptPurchase}${onlyPurchases}
          group by t.customer_id
        ) s on s.customer_id = c.id`
      : sql``;
  const tier = needsTier
    ? sql`left join ${customerTiers} ct on ct.organization_id = c.organization_id and ct.customer_id = c.id`
    : sql``;
  const where = parts.length === 0 ? sql`false` : sql.join(partConditions, sql` and `);
  return sql`
    select c.id as customer_id
    from ${customers} c
    ${purchases}
    ${tier}
    where c.organization_id = ${context.organizationId} and c.deleted_at is null${only}
      and ${where}`;
}
