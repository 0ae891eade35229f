import { char, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, updatedAt } from '../../db/columns.ts';
import type { ProgramSettings } from './settings.ts';

/** The tenant. The only table whose key does not begin with organization_id: it is the organization. */
export const organizations = pgTable('organizations', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  currency: char('currency', { length: 3 }).notNull(),
  timeZone: text('time_zone').notNull(),
  country: char('country', { length: 2 }).notNull(),
  settings: jsonb('settings').$type<ProgramSettings>().notNull().default({}),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});
