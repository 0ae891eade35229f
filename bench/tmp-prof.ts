import { sql } from 'drizzle-orm';
import { openDatabase } from '../src/db/connection.ts';
import { runMigrations } from '../src/db/migrate.ts';
import { transaction } from '../src/db/transaction.ts';
import { insertCustomers } from '../src/modules/customers/writes.ts';
import { emit } from '../src/modules/events/service.ts';
import { createServices } from '../src/services.ts';

const database = await openDatabase({});
await runMigrations(database);
const services = createServices(database, {});
const org = await services.organizations.create({ name: 'x' });
const db = database.db;
let t = performance.now();
await transaction(db, async (tx) => {
  for (let i = 0; i < 500; i++)
    await emit(tx, { organizationId: org.id, type: 'x', subject: { type: 'c', id: 'x' }, payload: {} });
});
console.log('500 emits', performance.now() - t);
t = performance.now();
await transaction(db, async (tx) => {
  for (let i = 0; i < 500; i++) await tx.execute(sql`select 1`);
});
console.log('500 select 1', performance.now() - t);
t = performance.now();
const rows = Array.from({ length: 500 }, (_, i) => ({
  values: {
    firstName: 'a' + i,
    email: `e${i}@x.com`,
    phone: `+3461${String(i).padStart(7, '0')}`,
    externalId: 'p' + i,
    labels: [{ key: 'k', value: 'v' }],
    marketingConsents: { email: { granted: true, at: new Date().toISOString() } },
  },
}));
await transaction(db, async (tx) => {
  await tx.execute(sql`select 1`);
  const { customers } = await import('../src/modules/customers/schema.ts');
  const { newId } = await import('../src/db/ids.ts');
  await tx
    .insert(customers)
    .values(
      rows.map((r, i) => ({
        ...r.values,
        organizationId: org.id,
        id: newId(),
        loyaltyCardNumber: 'C' + i,
        referralCode: 'R' + i,
      })),
    );
});
console.log('500-row insert', performance.now() - t);
await database.close();
