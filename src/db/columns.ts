import { jsonb, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Shared column builders so every table spells tenancy and time the same way. */
export const organizationId = () => uuid('organization_id').notNull();
export const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
export const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

/** A list of ids kept with its row (an empty list means "no restriction" where it scopes something). */
export const idList = (name: string) => jsonb(name).$type<string[]>().notNull().default([]);
/** ISO weekdays (1 = Monday) a schedule allows; empty = every day. */
export const weekdays = () => jsonb('weekdays').$type<number[]>().notNull().default([]);
/** A local opening window `HH:MM`–`HH:MM`; null = all day. */
export const openingHours = () => jsonb('hours').$type<{ from: string; to: string } | null>();
