import { and, eq, or } from 'drizzle-orm';
import type { Db, Executor } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import { notFound } from '../../errors.ts';
import { customers } from './schema.ts';

export type Customer = typeof customers.$inferSelect;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createCustomersService(db: Db) {
  async function get(organizationId: string, id: string, executor: Executor = db): Promise<Customer> {
    if (!UUID_PATTERN.test(id)) throw notFound('customer');
    const [row] = await executor
      .select()
      .from(customers)
      .where(and(eq(customers.organizationId, organizationId), eq(customers.id, id)));
    if (!row) throw notFound('customer');
    return row;
  }

  return {
    get,

    /** Finds a member from whatever the till has; 404 when nobody matches. */
    async lookup(organizationId: string, identifier: string, executor: Executor = db): Promise<Customer> {
      if (UUID_PATTERN.test(identifier)) {
        const byId = await get(organizationId, identifier, executor).catch(() => undefined);
        if (byId) return byId;
      }
      const [row] = await executor
        .select()
        .from(customers)
        .where(
          and(
            eq(customers.organizationId, organizationId),
            or(
              eq(customers.loyaltyCardNumber, identifier),
              eq(customers.email, identifier.toLowerCase()),
              eq(customers.externalId, identifier),
            ),
          ),
        )
        .limit(1);
      if (!row) throw notFound('customer');
      return row;
    },

    async create(organizationId: string, input: Partial<Omit<Customer, 'organizationId' | 'id'>>): Promise<Customer> {
      const [row] = await db
        .insert(customers)
        .values({ ...input, organizationId, id: newId() })
        .returning();
      return row!;
    },
  };
}

export type CustomersService = ReturnType<typeof createCustomersService>;
