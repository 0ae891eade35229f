import {
  boolean,
  doublePrecision,
  foreignKey,
  pgTable,
  primaryKey,
  text,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, organizationId, updatedAt } from '../../db/columns.ts';
import { organizations } from '../organizations/schema.ts';

export const locations = pgTable(
  'locations',
  {
    organizationId: organizationId().references(() => organizations.id),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    address: text('address'),
    postalCode: text('postal_code'),
    city: text('city'),
    region: text('region'),
    country: text('country'),
    // Coordinates are geography, not money: binary floating point is fine here.
    latitude: doublePrecision('latitude'),
    longitude: doublePrecision('longitude'),
    /** null = the organization's time zone. */
    timeZone: text('time_zone'),
    externalId: text('external_id'),
    deleted: boolean('deleted').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    unique('locations_external_id_unique').on(t.organizationId, t.externalId),
  ],
);

export const brands = pgTable(
  'brands',
  {
    organizationId: organizationId(),
    id: uuid('id').notNull(),
    locationId: uuid('location_id').notNull(),
    name: text('name').notNull(),
    externalId: text('external_id'),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({
      columns: [t.organizationId, t.locationId],
      foreignColumns: [locations.organizationId, locations.id],
    }).onDelete('cascade'),
  ],
);
