import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Db, Executor, Tx } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import { afterCursor, fetchSize, type PageRequest } from '../../db/pagination.ts';
import { type OwnIds, requireOwnIds } from '../../db/references.ts';
import { transaction } from '../../db/transaction.ts';
import { isUuid } from '../../domain/customers.ts';
import { conflict, notFound } from '../../errors.ts';
import type { Tenant } from '../../http/types.ts';
import { recordAudit } from '../audit/service.ts';
import { requireNotSelf, requireWithinGrantor } from './grants.ts';
import { apiKeys, platformSecrets } from './schema.ts';
import { type ApiKeyScope, DEFAULT_API_KEY_SCOPES, reachOfScopes } from './scopes.ts';
import { generateApiKey, generateMasterKey, hashSecret, sameHash } from './secrets.ts';

const MASTER_KEY_SECRET = 'master_key';
/** How long a verified key is trusted without asking the database again (bounds revocation delay on other nodes). */
const CACHE_TTL_MS = 5_000;
const CACHE_MAX_ENTRIES = 10_000;
/** lastUsedAt is a hint for humans; writing it on every request would make every read a write. */
const LAST_USED_RESOLUTION_MS = 60_000;

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export interface ApiKeyInput {
  name?: string | undefined;
  scopes?: readonly ApiKeyScope[] | undefined;
  /** Null or left out: every location (or, for a restricted grantor, the grantor's own). */
  locationIds?: readonly string[] | null | undefined;
}

/** What a change sets; what it leaves out stays. */
export interface ApiKeyPatch {
  name?: string | null | undefined;
  scopes?: readonly ApiKeyScope[] | undefined;
  locationIds?: readonly string[] | null | undefined;
}

export interface ApiKeysDependencies {
  /** Which ids are locations of the organization (src/db/references.ts). */
  ownLocationIds: OwnIds;
}

export interface ApiKeysServiceOptions {
  /** REGULARS_MASTER_KEY; when absent the hash stored on first start is used. */
  masterKey?: string | undefined;
  onBackgroundError?: (error: unknown) => void;
}

export function createApiKeysService(db: Db, deps: ApiKeysDependencies, options: ApiKeysServiceOptions = {}) {
  const verified = new Map<string, { tenant: Tenant; until: number }>();
  const lastStamped = new Map<string, number>();
  /**
   * Bumped by every change and revoke: a key read from the database before it is not cached, so a
   * lookup racing a change cannot put the key's old scopes back for the cache's lifetime.
   */
  let generation = 0;
  let masterKeyHash = options.masterKey ? hashSecret(options.masterKey) : undefined;

  function stampLastUsed(tenant: Tenant, now: number) {
    const keyId = tenant.actor.id ?? '';
    if (now - (lastStamped.get(keyId) ?? 0) < LAST_USED_RESOLUTION_MS) return;
    lastStamped.set(keyId, now);
    db.update(apiKeys)
      .set({ lastUsedAt: new Date(now) })
      .where(and(eq(apiKeys.organizationId, tenant.organizationId), eq(apiKeys.id, keyId)))
      .catch((error: unknown) => options.onBackgroundError?.(error));
  }

  /** A changed or revoked key answers from the database on its next request on this node. */
  function forget(keyId: string) {
    generation++;
    for (const [hash, entry] of verified) if (entry.tenant.actor.id === keyId) verified.delete(hash);
  }

  function requireOwnLocations(organizationId: string, ids: readonly string[] | null, executor?: Executor) {
    return requireOwnIds(
      deps.ownLocationIds,
      organizationId,
      ids,
      { path: 'body.locationIds', noun: 'a location' },
      executor,
    );
  }

  async function find(organizationId: string, id: string): Promise<ApiKeyRow> {
    const [row] = await db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.organizationId, organizationId), eq(apiKeys.id, id)));
    if (!row) throw notFound('API key');
    return row;
  }

  const normalized = (ids: readonly string[] | null) =>
    ids === null ? null : ids.map((id) => id.toLowerCase());

  return {
    /**
     * Makes sure the platform has a master key. Returns the new key when one had to be generated:
     * the caller prints it once; only its hash is kept.
     */
    async ensureMasterKey(): Promise<string | undefined> {
      if (masterKeyHash) return undefined;
      const [stored] = await db
        .select()
        .from(platformSecrets)
        .where(eq(platformSecrets.name, MASTER_KEY_SECRET));
      if (stored) {
        masterKeyHash = stored.valueHash;
        return undefined;
      }
      const key = generateMasterKey();
      const inserted = await db
        .insert(platformSecrets)
        .values({ name: MASTER_KEY_SECRET, valueHash: hashSecret(key) })
        .onConflictDoNothing()
        .returning();
      if (inserted.length === 0) return this.ensureMasterKey(); // another node won the race
      masterKeyHash = hashSecret(key);
      return key;
    },

    isMasterKey(candidate: string): boolean {
      return masterKeyHash !== undefined && sameHash(hashSecret(candidate), masterKeyHash);
    },

    /** The tenant a key belongs to, or null for an unknown or revoked key. */
    async authenticate(key: string): Promise<Tenant | null> {
      const hash = hashSecret(key);
      const now = Date.now();
      const cached = verified.get(hash);
      if (cached && cached.until > now) {
        stampLastUsed(cached.tenant, now);
        return cached.tenant;
      }
      const readAt = generation;
      const [row] = await db
        .select({
          organizationId: apiKeys.organizationId,
          id: apiKeys.id,
          scopes: apiKeys.scopes,
          locationIds: apiKeys.locationIds,
        })
        .from(apiKeys)
        .where(and(eq(apiKeys.keyHash, hash), isNull(apiKeys.revokedAt)));
      if (!row) {
        verified.delete(hash);
        return null;
      }
      const tenant: Tenant = {
        organizationId: row.organizationId,
        actor: { type: 'api_key', id: row.id },
        reach: reachOfScopes(row.scopes),
        locationIds: row.locationIds,
      };
      if (verified.size >= CACHE_MAX_ENTRIES) verified.clear();
      if (readAt === generation) verified.set(hash, { tenant, until: now + CACHE_TTL_MS });
      stampLastUsed(tenant, now);
      return tenant;
    },

    /**
     * A new key, its secret returned this once. `grantor`: the caller creating it through
     * /v1/api-keys, which gives no more than it holds (src/modules/api-keys/grants.ts); absent for the
     * master key and the CLI. `tx`: the caller's transaction, when the key must commit with its
     * other writes (a till pairing).
     */
    async create(organizationId: string, input: ApiKeyInput = {}, grantor?: Tenant, tx?: Tx) {
      const scopes = input.scopes ?? DEFAULT_API_KEY_SCOPES;
      // Left out, a restricted grantor's key is restricted like it; null asks for every location.
      const asked = input.locationIds === undefined ? (grantor?.locationIds ?? null) : input.locationIds;
      const locationIds = normalized(asked);
      if (grantor) requireWithinGrantor(grantor, { scopes, locationIds }, 'body');
      await requireOwnLocations(organizationId, locationIds, tx);
      const { key, prefix } = generateApiKey();
      const write = async (tx: Tx) => {
        const [row] = await tx
          .insert(apiKeys)
          .values({
            organizationId,
            id: newId(),
            name: input.name ?? null,
            prefix,
            keyHash: hashSecret(key),
            scopes: [...scopes],
            locationIds,
          })
          .returning();
        await recordAudit(tx, {
          organizationId,
          action: 'api_key.created',
          subject: { type: 'api_key', id: row!.id },
          changes: { name: row!.name, prefix, scopes: row!.scopes, locationIds: row!.locationIds },
        });
        return { ...row!, key };
      };
      return tx ? write(tx) : transaction(db, write);
    },

    /**
     * Changes a key's name, scopes or locations; it takes effect on this node at once (the key's
     * cached verification is dropped) and on other nodes within the cache's 5 s. A revoked key
     * answers 409.
     */
    async update(
      organizationId: string,
      id: string,
      patch: ApiKeyPatch,
      grantor?: Tenant,
    ): Promise<ApiKeyRow> {
      if (!isUuid(organizationId) || !isUuid(id)) throw notFound('API key');
      if (grantor) requireNotSelf(grantor, id);
      const row = await transaction(db, async (tx) => {
        const [existing] = await tx
          .select()
          .from(apiKeys)
          .where(and(eq(apiKeys.organizationId, organizationId), eq(apiKeys.id, id)))
          .for('update');
        if (!existing) throw notFound('API key');
        if (existing.revokedAt)
          throw conflict('conflict', 'a revoked API key cannot be changed', 'params.keyId');
        const changed = {
          scopes: patch.scopes ?? existing.scopes,
          locationIds: patch.locationIds === undefined ? existing.locationIds : normalized(patch.locationIds),
        };
        if (grantor) {
          requireWithinGrantor(grantor, existing, 'existing');
          requireWithinGrantor(grantor, changed, 'body');
        }
        if (patch.locationIds) await requireOwnLocations(organizationId, changed.locationIds, tx);
        const [updated] = await tx
          .update(apiKeys)
          .set({
            ...(patch.name === undefined ? {} : { name: patch.name }),
            scopes: [...changed.scopes],
            locationIds: changed.locationIds === null ? null : [...changed.locationIds],
          })
          .where(and(eq(apiKeys.organizationId, organizationId), eq(apiKeys.id, id)))
          .returning();
        await recordAudit(tx, {
          organizationId,
          action: 'api_key.updated',
          subject: { type: 'api_key', id: updated!.id },
          changes: {
            name: { before: existing.name, after: updated!.name },
            scopes: { before: existing.scopes, after: updated!.scopes },
            locationIds: { before: existing.locationIds, after: updated!.locationIds },
          },
        });
        return updated!;
      });
      forget(row.id); // the stored id: the one cached tenants carry, whatever case the caller wrote
      return row;
    },

    list(organizationId: string, page: PageRequest) {
      return db
        .select()
        .from(apiKeys)
        .where(and(eq(apiKeys.organizationId, organizationId), afterCursor(apiKeys.id, page)))
        .orderBy(asc(apiKeys.id))
        .limit(fetchSize(page));
    },

    /** Revokes a key at once on this node, within 5 s on others; revoking it again answers it as it is. */
    async revoke(organizationId: string, id: string, grantor?: Tenant): Promise<ApiKeyRow> {
      if (!isUuid(organizationId) || !isUuid(id)) throw notFound('API key');
      if (grantor) {
        requireNotSelf(grantor, id);
        requireWithinGrantor(grantor, await find(organizationId, id), 'existing');
      }
      const row = await transaction(db, async (tx) => {
        const [revoked] = await tx
          .update(apiKeys)
          .set({ revokedAt: new Date() })
          .where(
            and(eq(apiKeys.organizationId, organizationId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)),
          )
          .returning();
        if (revoked) {
          await recordAudit(tx, {
            organizationId,
            action: 'api_key.revoked',
            subject: { type: 'api_key', id },
            changes: { revokedAt: { before: null, after: revoked.revokedAt } },
          });
        }
        return revoked;
      });
      if (!row) return find(organizationId, id);
      forget(row.id);
      return row;
    },
  };
}

export type ApiKeysService = ReturnType<typeof createApiKeysService>;
