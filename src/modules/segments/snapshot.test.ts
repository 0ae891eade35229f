import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audienceClient } from '../../../test/support/audience.ts';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { rawRows } from '../../db/connection.ts';
import { transaction } from '../../db/transaction.ts';
import { loadSnapshot, type SnapshotNeeds, snapshotQuery } from './snapshot.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const PURCHASES: SnapshotNeeds = {
  purchases: true,
  lines: false,
  points: false,
  tier: false,
  purchasesFrom: new Date(Date.now() - 30 * 86_400_000),
};

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

function* nodesOf(node: PlanNode): Generator<PlanNode> {
  yield node;
  for (const child of node.Plans ?? []) yield* nodesOf(child);
}

describe('a member snapshot', () => {
  it("reads a regular's purchase totals from the kept-purchases index, not from the tickets' pages", async () => {
    const org = await ctx.createOrganization();
    const api = audienceClient(ctx, org);
    const regular = await api.member();
    for (const total of [1200, 800, 2500]) await api.buy(regular.id, total);

    // As autovacuum (or the embedded engine's maintenance) leaves the table: its pages all-visible,
    // so that a scan of the index alone need not visit them. Table scans are switched off (one
    // would win on a table this small); if the snapshot read a column the index lacks, or counted
    // purchases by a test its predicate does not imply, the plan would have to read the table.
    await ctx.database.db.execute(sql`vacuum (analyze) transactions`);
    const plan = await transaction(ctx.database.db, async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      await tx.execute(sql`set local enable_bitmapscan = off`);
      const [row] = await rawRows<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        tx,
        sql`explain (format json) ${snapshotQuery(org.id, regular.id, PURCHASES)}`,
      );
      return row!['QUERY PLAN'][0].Plan;
    });
    const ticketScans = [...nodesOf(plan)].filter((node) => node['Relation Name'] === 'transactions');
    expect(ticketScans.map((node) => [node['Node Type'], node['Index Name']])).toEqual([
      ['Index Only Scan', 'transactions_kept_purchases_idx'],
    ]);

    const { member } = await loadSnapshot(ctx.database.db, org.id, regular.id, PURCHASES);
    expect(member?.purchaseTotals).toMatchObject({ count: 3, net: 4500 });
    expect(member?.recentPurchases.map((purchase) => purchase.net).sort()).toEqual([1200, 2500, 800]);
  });
});
