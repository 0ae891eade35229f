import { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { buildApp } from '../src/app.ts';
import { openDatabase, rawRows } from '../src/db/connection.ts';
import { runMigrations } from '../src/db/migrate.ts';
import type { App } from '../src/http/types.ts';
import { createServices } from '../src/services.ts';

/** The benchmark's dataset, written through the API in-process before the server starts. */

export interface Seeded {
  organizationId: string;
  apiKey: string;
  locationIds: string[];
  /** A sample of members, each with its phone as a cashier would type it. */
  members: Array<{ id: string; phoneAsTyped: string }>;
  /** Members with plenty of points, for spend and redemption. */
  richMembers: string[];
  /**
   * Members who have bought before: one large ticket put them in the top tier and in every
   * segment a bench ticket can reach, so a ticket of theirs moves neither, as most tickets of an
   * established program. The sample's other members start with no purchase.
   */
  regulars: string[];
  rewardIds: string[];
  ruleCount: number;
}

export function pick<T>(items: T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

/** A bench order: 10 lines of 12.50 (or `lineTotal`) at a random location (SKU-0…SKU-9, food and drinks). */
export function benchOrder(seeded: Pick<Seeded, 'locationIds'>, documentNumber: string, lineTotal = 1250) {
  return {
    documentNumber,
    locationId: pick(seeded.locationIds),
    totals: { total: 10 * lineTotal },
    lines: Array.from({ length: 10 }, (_, i) => ({
      lineId: `L${i}`,
      sku: `SKU-${i}`,
      quantity: 1,
      total: lineTotal,
      category: i % 2 ? 'food' : 'drinks',
    })),
  };
}

/** 30 rewards of the kinds a till redeems most: amounts, percentages, free products. */
function rewards() {
  return Array.from({ length: 30 }, (_, i) => {
    const costPoints = 10 + (i % 5) * 10;
    if (i % 3 === 0) return { name: `${i} off`, type: 'amount_discount', value: 100 + i * 10, costPoints };
    if (i % 3 === 1)
      return { name: `${i}% off`, type: 'percentage_discount', value: 5 + (i % 10), costPoints };
    return {
      name: `Free SKU-${i % 10}`,
      type: 'free_product',
      scope: { skus: [`SKU-${i % 10}`] },
      costPoints,
    };
  });
}

const TIERS = [0, 10_000, 30_000, 60_000, 100_000].map((conditionValue, i) => ({
  name: `Tier ${i}`,
  conditionValue,
  earningMultiplier: 1 + i / 10,
}));

const SEGMENTS = [
  { name: 'Buyers', parts: [{ criteria: [{ type: 'transaction_count', min: 1 }] }] },
  { name: 'Big spenders', parts: [{ criteria: [{ type: 'total_spent', min: 10_000 }] }] },
  { name: 'Big tickets', parts: [{ criteria: [{ type: 'average_ticket', min: 5_000 }] }] },
  { name: 'VIP', parts: [{ criteria: [{ type: 'customer_has_labels', labels: [{ key: 'vip' }] }] }] },
  {
    name: 'Drinkers who spend',
    parts: [
      { criteria: [{ type: 'bought_skus', skus: ['SKU-1'] }] },
      { criteria: [{ type: 'total_spent', min: 1_000 }] },
    ],
  },
];

const HEADER = 'firstName,lastName,email,phone,birthDate,externalId\n';

function csv(rows: number): Readable {
  return Readable.from(
    (function* () {
      let piece = HEADER;
      for (let i = 0; i < rows; i++) {
        piece += `Name${i},Surname ${i},member${i}@bench.example,+34 6${String(i).padStart(8, '0')},19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10},pos-${i}\n`;
        if (piece.length > 64 * 1024) {
          yield piece;
          piece = '';
        }
      }
      if (piece) yield piece;
    })(),
  );
}

async function call(
  app: App,
  method: 'GET' | 'POST',
  url: string,
  headers: Record<string, string>,
  payload?: unknown,
) {
  const response = await app.inject({
    method,
    url,
    headers,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  if (response.statusCode >= 300)
    throw new Error(`${method} ${url} → ${response.statusCode}: ${response.body}`);
  return response.json();
}

/** 50 rules: 5 that a bench ticket (SKU-0…SKU-9, any location) earns on, 45 that it does not. */
function earningRules() {
  const rules: object[] = [
    { name: 'Per euro', type: 'spend', config: { pointsPerUnit: 1, excludedCategories: ['tobacco'] } },
    { name: 'Drinks', type: 'product_purchase', config: { skus: ['SKU-1', 'SKU-3'], points: 2 } },
    { name: 'Double SKU-2', type: 'multiply_by_product', config: { skus: ['SKU-2'], multiplier: 2 } },
    {
      name: 'Stamp',
      type: 'visit',
      config: { points: 1, minimumOrder: 500 },
      limit: { count: 1000, period: 'day' },
    },
    { name: 'Late', type: 'spend', config: { pointsPerUnit: 0.5 }, hours: { from: '00:00', to: '23:59' } },
  ];
  for (let i = 0; i < 45; i++) {
    const kind = i % 3;
    if (kind === 0)
      rules.push({
        name: `Promo ${i}`,
        type: 'product_purchase',
        config: { skus: [`OTHER-${i}`], points: 5 },
      });
    if (kind === 1)
      rules.push({ name: `Online ${i}`, type: 'spend', config: { pointsPerUnit: 3 }, channels: ['online'] });
    if (kind === 2)
      rules.push({
        name: `Event ${i}`,
        type: 'custom_event',
        config: { eventName: `event-${i}`, points: 1 },
      });
  }
  return rules;
}

export async function seed(
  target: { databaseUrl?: string; dataDir?: string },
  /** `richMembers`, `regulars`: how many members of the sample become each (see Seeded). */
  options: { members: number; richMembers: number; regulars: number; masterKey: string },
): Promise<Seeded> {
  const database = await openDatabase({ url: target.databaseUrl, dataDir: target.dataDir, poolSize: 8 });
  try {
    await runMigrations(database);
    const services = createServices(database, { masterKey: options.masterKey });
    const app = await buildApp(services);
    await app.ready();
    const organization = await services.organizations.create({
      name: 'Bench',
      country: 'ES',
      timeZone: 'Europe/Madrid',
    });
    const { key } = await services.apiKeys.create(organization.id, { name: 'bench' });
    const headers = { authorization: `Bearer ${key}` };

    const locationIds: string[] = [];
    for (let i = 0; i < 10; i++) {
      locationIds.push(
        (await call(app, 'POST', '/v1/locations', headers, { name: `Location ${i}`, externalId: `L${i}` }))
          .id,
      );
    }

    const job = await app.inject({
      method: 'POST',
      url: '/v1/customers/import?mode=create',
      headers: { ...headers, 'content-type': 'text/csv' },
      payload: csv(options.members),
    });
    if (job.statusCode >= 300) throw new Error(`import → ${job.statusCode}: ${job.body}`);
    for (;;) {
      const state = await call(app, 'GET', `/v1/customer-imports/${job.json().id}`, headers);
      if (state.status !== 'running') {
        if (state.created !== options.members)
          throw new Error(`import created ${state.created} of ${options.members}`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const rules = earningRules();
    for (const rule of rules) await call(app, 'POST', '/v1/earning-rules', headers, rule);
    const rewardIds: string[] = [];
    for (const reward of rewards())
      rewardIds.push((await call(app, 'POST', '/v1/rewards', headers, reward)).id);
    for (const tier of TIERS) await call(app, 'POST', '/v1/tiers', headers, tier);
    for (const segment of SEGMENTS) await call(app, 'POST', '/v1/segments', headers, segment);

    const sample = await rawRows<{ id: string; phone: string }>(
      database.db,
      sql`select id, phone from customers where organization_id = ${organization.id} order by random() limit 5000`,
    );
    if (sample.length < options.richMembers + options.regulars)
      throw new Error(`a sample of ${sample.length} members cannot hold the rich members and the regulars`);
    const richMembers = sample.slice(0, options.richMembers).map((member) => member.id);
    for (const id of richMembers) {
      await call(app, 'POST', `/v1/customers/${id}/points/add`, headers, { points: 100000, reason: 'bench' });
    }
    // 1,000.00 spent: the top tier's threshold, and every segment that spending reaches.
    const regulars = sample
      .slice(options.richMembers, options.richMembers + options.regulars)
      .map((member) => member.id);
    for (const [index, id] of regulars.entries()) {
      await call(app, 'POST', '/v1/transactions', headers, {
        ...benchOrder({ locationIds }, `SEED-${index}`, TIERS.at(-1)!.conditionValue / 10),
        customer: { customerId: id },
      });
    }

    await database.db.execute(
      sql`create table if not exists bench_counters (organization_id uuid, id int, value bigint not null default 0, primary key (organization_id, id))`,
    );
    await database.db.execute(
      sql`create table if not exists bench_log (organization_id uuid, counter_id int, at timestamptz default now())`,
    );
    await database.db.execute(
      sql`insert into bench_counters (organization_id, id) select ${organization.id}::uuid, n from generate_series(0, 63) n on conflict do nothing`,
    );
    // The server starts on a settled database, as autovacuum keeps one: planner statistics
    // current, and the seed's rows already vacuumed, so that autovacuum does not do it during the
    // first scenarios and count as their PostgreSQL CPU.
    await database.db.execute(sql`vacuum (analyze)`);
    await app.close();
    return {
      organizationId: organization.id,
      apiKey: key,
      locationIds,
      // Stored as +346…; typed at the till as 0034 6…
      members: sample.map((member) => ({ id: member.id, phoneAsTyped: member.phone.replace('+', '00') })),
      richMembers,
      regulars,
      rewardIds,
      ruleCount: rules.length,
    };
  } finally {
    await database.close();
  }
}
