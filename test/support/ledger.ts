import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { TestContext } from './context.ts';

export type CustomerStatus = 'active' | 'inactive' | 'blocked';

interface CustomerFactory {
  create(organizationId: string, input: Record<string, unknown>): Promise<{ id: string }>;
  deactivate?(organizationId: string, id: string): Promise<unknown>;
  block?(organizationId: string, id: string): Promise<unknown>;
}

/**
 * A member for ledger tests. The only place that knows how customers are made, so a change in
 * the customers module's service touches this file alone.
 */
export async function createCustomer(
  ctx: Pick<TestContext, 'services' | 'database'>,
  organizationId: string,
  options: { status?: CustomerStatus; email?: string } = {},
): Promise<{ id: string; email: string }> {
  const customers = ctx.services.customers as unknown as CustomerFactory;
  const email = options.email ?? `member-${randomBytes(4).toString('hex')}@example.com`;
  const customer = await customers.create(organizationId, { firstName: 'Ana', email });
  await setCustomerStatus(ctx, organizationId, customer.id, options.status ?? 'active');
  return { id: customer.id, email };
}

export async function setCustomerStatus(
  ctx: Pick<TestContext, 'services' | 'database'>,
  organizationId: string,
  id: string,
  status: CustomerStatus,
): Promise<void> {
  if (status === 'active') return;
  const customers = ctx.services.customers as unknown as CustomerFactory;
  const change = status === 'blocked' ? customers.block : customers.deactivate;
  if (change) {
    await change.call(customers, organizationId, id);
    return;
  }
  await ctx.database.db.execute(
    sql`update customers set status = ${status} where organization_id = ${organizationId} and id = ${id}`,
  );
}
