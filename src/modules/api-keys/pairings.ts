import { randomInt } from 'node:crypto';
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Db } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import { type OwnIds, requireOwnIds } from '../../db/references.ts';
import { transaction } from '../../db/transaction.ts';
import { AppError } from '../../errors.ts';
import type { Tenant } from '../../http/types.ts';
import type { AttemptLimit, AttemptLimits } from '../attempt-limits/service.ts';
import { recordAudit } from '../audit/service.ts';
import { requireWithinGrantor } from './grants.ts';
import { tillPairings } from './schema.ts';
import { hashSecret } from './secrets.ts';
import type { ApiKeysService } from './service.ts';

/** Long enough to walk to the tablet and type it; short enough that a code seen over a shoulder goes stale. */
export const PAIRING_MINUTES = 10;
/** Crockford's base32: no I, L, O or U, so what is read aloud or typed is what was meant. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** 10 characters: 50 random bits, against at most FAILED_CODES guesses per address and window. */
const CODE_LENGTH = 10;
const FAILED_CODES: AttemptLimit = {
  per: 'ip',
  max: 10,
  windowMs: 15 * 60_000,
  what: 'wrong pairing codes from this address',
};

/** `7KX2M-Q9ZPA`: the code as shown; a claim takes it in any case, with or without the dash. */
function generateCode(): string {
  const chars = Array.from({ length: CODE_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]);
  return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
}

/** The code as stored (hashed): upper case, no dash or spaces, the letters people confuse mapped back. */
export function canonicalCode(typed: string): string {
  return typed
    .toUpperCase()
    .replace(/[^0-9A-Z]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
}

export interface PairingInput {
  name: string;
  /** Left out: every location, or the manager's own when they are restricted to some. */
  locationIds?: readonly string[] | null | undefined;
}

export interface PairingDependencies {
  apiKeys: ApiKeysService;
  attempts: AttemptLimits;
  ownLocationIds: OwnIds;
  now?: () => Date;
}

/**
 * Pairing a till device: a manager asks for a one-time code; the device sends it back (typed, or
 * from the link's fragment, which never reaches a server log) and receives a new `till`-scoped key,
 * which is shown nowhere else and stored, like every key, only as a hash.
 */
export function createTillPairings(db: Db, deps: PairingDependencies) {
  const now = deps.now ?? (() => new Date());

  return {
    async create(organizationId: string, input: PairingInput, grantor: Tenant) {
      const asked = input.locationIds === undefined ? (grantor.locationIds ?? null) : input.locationIds;
      const locationIds = asked === null ? null : asked.map((id) => id.toLowerCase());
      // The device gets no more than the manager holds: the till scope, at their locations.
      requireWithinGrantor(grantor, { scopes: ['till'], locationIds }, 'body');
      await requireOwnIds(deps.ownLocationIds, organizationId, locationIds, {
        path: 'body.locationIds',
        noun: 'a location',
      });
      const code = generateCode();
      const expiresAt = new Date(now().getTime() + PAIRING_MINUTES * 60_000);
      return transaction(db, async (tx) => {
        const [row] = await tx
          .insert(tillPairings)
          .values({
            organizationId,
            id: newId(),
            name: input.name,
            codeHash: hashSecret(canonicalCode(code)),
            locationIds,
            createdBy: grantor.actor.id ?? null,
            expiresAt,
          })
          .returning();
        await recordAudit(tx, {
          organizationId,
          action: 'till_pairing.created',
          subject: { type: 'till_pairing', id: row!.id },
          changes: { name: row!.name, locationIds, expiresAt },
        });
        return { ...row!, code };
      });
    },

    /** The code, once and in time, for a new till key; refused alike when unknown, used or stale. */
    async claim(typed: string, ip: string) {
      const attempt = { organizationId: null, kind: 'till_pairing' as const, addressHash: null, ip };
      await deps.attempts.refuseOver(attempt, FAILED_CODES);
      // One transaction: the code is spent exactly when its key exists. The guarded update makes
      // two devices racing with one code find one winner.
      const key = await transaction(db, async (tx) => {
        const [pairing] = await tx
          .update(tillPairings)
          .set({ claimedAt: now() })
          .where(
            and(
              eq(tillPairings.codeHash, hashSecret(canonicalCode(typed))),
              isNull(tillPairings.claimedAt),
              gt(tillPairings.expiresAt, now()),
            ),
          )
          .returning();
        if (!pairing) return undefined;
        const created = await deps.apiKeys.create(
          pairing.organizationId,
          { name: `Till device: ${pairing.name}`, scopes: ['till'], locationIds: pairing.locationIds },
          undefined,
          tx,
        );
        await tx
          .update(tillPairings)
          .set({ apiKeyId: created.id })
          .where(
            and(eq(tillPairings.organizationId, pairing.organizationId), eq(tillPairings.id, pairing.id)),
          );
        return created;
      });
      if (!key) {
        await deps.attempts.record(attempt);
        throw new AppError(
          'unauthorized',
          'this pairing code is unknown, used or expired: ask for a new one',
          {
            errors: [{ path: 'body.code', message: 'is unknown, used or expired' }],
          },
        );
      }
      return key;
    },
  };
}

export type TillPairings = ReturnType<typeof createTillPairings>;
