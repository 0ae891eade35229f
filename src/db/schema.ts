// Every table of every module, for drizzle-kit (migrations) and for readers looking for the data model.
export * from '../modules/api-keys/schema.ts';
export * from '../modules/audit/schema.ts';
export * from '../modules/customers/schema.ts';
export * from '../modules/earning-rules/schema.ts';
export * from '../modules/events/schema.ts';
export * from '../modules/idempotency/schema.ts';
export * from '../modules/ledger/schema.ts';
export * from '../modules/locations/schema.ts';
export * from '../modules/member-access/schema.ts';
export * from '../modules/organizations/schema.ts';
export * from '../modules/point-types/schema.ts';
export * from '../modules/rewards/schema.ts';
export * from '../modules/segments/schema.ts';
export * from '../modules/staff/schema.ts';
export * from '../modules/tiers/schema.ts';
export * from '../modules/transactions/schema.ts';
export * from '../modules/webhooks/schema.ts';
