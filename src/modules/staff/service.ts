import type { Db } from '../../db/connection.ts';
import { createStaffAccounts } from './accounts.ts';
import { createStaffContext, type StaffDependencies, type StaffOptions } from './context.ts';
import { createStaffSessions } from './sessions.ts';

export type { StaffDependencies, StaffOptions } from './context.ts';
export type { StaffCaller } from './sessions.ts';
export type { StaffUserRow } from './store.ts';

/**
 * Staff accounts (invites, roles, passwords) and their sessions (sign-in, tokens, the second
 * factor): the door the routes, the authenticators and the CLI go through.
 */
export function createStaffService(db: Db, deps: StaffDependencies, options: StaffOptions) {
  const context = createStaffContext(db, deps, options);
  const sessions = createStaffSessions(context);
  const accounts = createStaffAccounts(context, sessions.forgetUser);
  return { accounts, sessions, publicUrl: context.publicUrl };
}

export type StaffService = ReturnType<typeof createStaffService>;
