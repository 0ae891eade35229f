/**
 * Who did something, as the ledger, the events and the audit log record it: an organization's API
 * key, a staff user, a member acting on their own account, or the engine itself (scheduler,
 * expiry). `id` is the key's, the staff user's or the member's id; null for the system.
 */
export interface Actor {
  type: ActorType;
  id: string | null;
}

export const ACTOR_TYPES = ['api_key', 'staff', 'member', 'system'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

export const SYSTEM: Actor = { type: 'system', id: null };
