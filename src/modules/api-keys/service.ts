import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Db } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import { afterCursor, fetchSize, type PageRequest } from '../../db/pagination.ts';
import { transaction } from '../../db/transaction.ts';
import { isUuid } from '../../domain/customers.ts';
import { notFound } from '../../errors.ts';
import type { Tenant } from '../../http/types.ts';
import { recordAudit } from '../audit/service.ts';
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

export interface ApiKeysServiceOptions {
  /** REGULARS_MASTER_KEY; when absent the hash stored on first start is used. */
  masterKey?: string | undefined;
  onBackgroundError?: (error: unknown) => void;
}

export function createApiKeysService(db: Db, options: ApiKeysServiceOptions = {}) {
  const verified = new Map<string, { tenant: Tenant; until: number }>();
  const lastStamped = new Map<string, number>();
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
      const [row] = await db
        .select({ organizationId: apiKeys.organizationId, id: apiKeys.id, scopes: apiKeys.scopes })
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
        locationIds: null,
      };
      if (verified.size >= CACHE_MAX_ENTRIES) verified.clear();
      verified.set(hash, { tenant, until: now + CACHE_TTL_MS });
      stampLastUsed(tenant, now);
      return tenant;
    },

    async create(
      organizationId: string,
      name?: string,
      scopes: readonly ApiKeyScope[] = DEFAULT_API_KEY_SCOPES,
    ) {
      const { key, prefix } = generateApiKey();
      return transaction(db, async (tx) => {
        const [row] = await tx
          .insert(apiKeys)
          .values({
            organizationId,
            id: newId(),
            name: name ?? null,
            prefix,
            keyHash: hashSecret(key),
            scopes: [...scopes],
          })
          .returning();
        await recordAudit(tx, {
          organizationId,
          action: 'api_key.created',
          subject: { type: 'api_key', id: row!.id },
          changes: { name: row!.name, prefix, scopes: row!.scopes },
        });
        return { ...row!, key };
      });
    },

    list(organizationId: string, page: PageRequest) {
      return db
        .select()
        .from(apiKeys)
        .where(and(eq(apiKeys.organizationId, organizationId), afterCursor(apiKeys.id, page)))
        .orderBy(asc(apiKeys.id))
        .limit(fetchSize(page));
    },

    async revoke(organizationId: string, id: string) {
      if (!isUuid(organizationId) || !isUuid(id)) throw notFound('API key');
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
      if (!row) {
        const [existing] = await db
          .select()
          .from(apiKeys)
          .where(and(eq(apiKeys.organizationId, organizationId), eq(apiKeys.id, id)));
        if (!existing) throw notFound('API key');
        return existing;
      }
      for (const [hash, entry] of verified) if (entry.tenant.actor.id === id) verified.delete(hash);
      return row;
    },
  };
}

export type ApiKeysService = ReturnType<typeof createApiKeysService>;
