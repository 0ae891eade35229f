import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Database, Executor } from './connection.ts';
import { afterCommit } from './transaction.ts';

/**
 * An organization's configuration — the organization itself, its point types, locations, earning
 * rules, tiers, segments and reward definitions — is read by every ticket and changes a few times
 * a day. Each process
 * keeps it in memory and learns of a change when it commits: the writer calls `changed(tx, …)` in
 * its transaction, which drops this process's copy once the transaction commits and sends a
 * PostgreSQL notification that every other process hears on commit. A process that is not (or no
 * longer) listening reads through to the database until it listens again. Copies older than
 * MAX_AGE_MS are read again too, so even a change made behind the API's back (by hand, in SQL)
 * shows within a minute.
 */

const CHANNEL = 'regulars_configuration';
const MAX_AGE_MS = 60_000;
/** Beyond this many organizations in memory, the cache starts over (programs have a handful). */
const MAX_ORGANIZATIONS = 10_000;

interface Entry {
  value: unknown;
  loadedAt: number;
}

interface OrganizationEntries {
  /** Bumped by every change, so a read that raced a change does not store what it read. */
  generation: number;
  entries: Map<string, Entry>;
}

export interface ConfigCache {
  /**
   * The organization's `kind` of configuration (e.g. 'organization', 'location:<id>'), from memory
   * or from load. What it returns is shared between requests: never modify it.
   */
  read<T>(organizationId: string, kind: string, load: () => Promise<T>): Promise<T>;
  /** Call inside the transaction that changes the organization's configuration. */
  changed(executor: Executor, organizationId: string): Promise<void>;
}

/** Shared copies are frozen, so code that would modify one fails loudly instead of leaking into other requests. */
function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}

export function createConfigCache(database: Database): ConfigCache {
  const organizations = new Map<string, OrganizationEntries>();
  let listening = false;
  /** Signs this cache's own notifications: it has forgotten those changes already, on commit. */
  const sender = randomUUID();

  function entriesOf(organizationId: string): OrganizationEntries {
    let found = organizations.get(organizationId);
    if (!found) {
      if (organizations.size >= MAX_ORGANIZATIONS) organizations.clear();
      found = { generation: 0, entries: new Map() };
      organizations.set(organizationId, found);
    }
    return found;
  }

  function forget(organizationId: string) {
    const found = organizations.get(organizationId);
    if (!found) return;
    found.generation++;
    found.entries.clear();
  }

  function forgetAll() {
    for (const organizationId of organizations.keys()) forget(organizationId);
  }

  database.listen(CHANNEL, {
    onNotification(payload) {
      const [from, organizationId] = payload.split(' ');
      if (from !== sender && organizationId) forget(organizationId);
    },
    onListening() {
      // Whatever changed while nobody listened is unknown: start from the database.
      forgetAll();
      listening = true;
    },
    onGap() {
      listening = false;
      forgetAll();
    },
  });

  return {
    async read<T>(organizationId: string, kind: string, load: () => Promise<T>): Promise<T> {
      if (!listening) return load();
      const organization = entriesOf(organizationId);
      const cached = organization.entries.get(kind);
      const now = Date.now();
      if (cached && now - cached.loadedAt < MAX_AGE_MS) return cached.value as T;
      const generation = organization.generation;
      const value = deepFreeze(await load());
      const unchanged =
        organization.generation === generation && organizations.get(organizationId) === organization;
      if (listening && unchanged) organization.entries.set(kind, { value, loadedAt: now });
      return value;
    },

    async changed(executor: Executor, organizationId: string): Promise<void> {
      forget(organizationId);
      await executor.execute(sql`select pg_notify(${CHANNEL}, ${`${sender} ${organizationId}`})`);
      // A read between now and the commit may store the state before this change: forget again.
      afterCommit(executor, () => forget(organizationId));
    },
  };
}
