import { pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, organizationId, updatedAt } from '../../db/columns.ts';
import { organizations } from '../organizations/schema.ts';

/** Members of a loyalty program. */
export const customers = pgTable(
  'customers',
  {
    organizationId: organizationId().references(() => organizations.id),
    id: uuid('id').notNull(),
    firstName: text('first_name'),
    lastName: text('last_name'),
    email: text('email'),
    phone: text('phone'),
    loyaltyCardNumber: text('loyalty_card_number'),
    externalId: text('external_id'),
    status: text('status', { enum: ['active', 'inactive', 'blocked'] })
      .notNull()
      .default('active'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.id] })],
);
