import type { SystemEvent } from '../../domain/earning/types.ts';
import { localDate } from '../../domain/zoned-time.ts';
import { MARKETING_CHANNELS } from '../customers/schema.ts';
import type { Customer, CustomersService } from '../customers/service.ts';
import type { Organization } from '../organizations/service.ts';
import type { TriggerService } from './trigger-service.ts';

/**
 * System events that earn: registration, marketing opt-in and a completed profile right after the
 * member's change commits; birthdays once a day. Each has a natural key (member, or member and
 * year for birthdays), so running twice never earns twice.
 */

const PROFILE_FIELDS = ['firstName', 'lastName', 'email', 'phone', 'birthDate'] as const;

export function profileComplete(customer: Customer): boolean {
  return PROFILE_FIELDS.every((field) => {
    const value = customer[field];
    return value !== null && value !== undefined && value !== '';
  });
}

export function optedIn(customer: Customer): boolean {
  const consents = customer.marketingConsents as Partial<
    Record<(typeof MARKETING_CHANNELS)[number], { granted: boolean }>
  >;
  return MARKETING_CHANNELS.some((channel) => consents?.[channel]?.granted === true);
}

/** Which one-off events a member's current state has reached. */
function reached(customer: Customer, created: boolean): SystemEvent[] {
  const events: SystemEvent[] = created ? ['registration'] : [];
  if (optedIn(customer)) events.push('marketing_opt_in');
  if (profileComplete(customer)) events.push('profile_completed');
  return events;
}

export function createSystemEvents(deps: {
  triggers: TriggerService;
  customers: Pick<CustomersService, 'bornOn'>;
  organizations: { list(page: { limit: number; afterId: string | undefined }): Promise<Organization[]> };
  onError?: (error: unknown) => void;
}) {
  async function award(organizationId: string, customer: Customer, events: SystemEvent[]) {
    for (const event of events) {
      await deps.triggers.award({
        organizationId,
        customerId: customer.id,
        trigger: { kind: 'event', event },
        sourceId: `${event}:${customer.id}`,
      });
    }
  }

  /** Awards after the change committed; a failure is reported, never undoes the member's change. */
  async function after(organizationId: string, customer: Customer, created: boolean) {
    if (customer.status !== 'active') return customer;
    await award(organizationId, customer, reached(customer, created)).catch((error: unknown) =>
      deps.onError?.(error),
    );
    return customer;
  }

  /** Birthday points for every member whose birthday is today in the organization's time zone. */
  async function awardBirthdays(organization: Organization, now = new Date()): Promise<number> {
    const today = localDate(now, organization.timeZone);
    const born = await deps.customers.bornOn(organization.id, today.slice(5));
    for (const id of born) {
      await deps.triggers.award({
        organizationId: organization.id,
        customerId: id,
        trigger: { kind: 'event', event: 'birthday' },
        sourceId: `birthday:${id}:${today.slice(0, 4)}`,
        now,
      });
    }
    return born.length;
  }

  return {
    awardBirthdays,

    /** The scheduled run (hourly in serve): today's birthdays in every organization; repeats earn nothing. */
    async awardBirthdaysEverywhere(now = new Date()): Promise<number> {
      let total = 0;
      let afterId: string | undefined;
      for (;;) {
        const page = await deps.organizations.list({ limit: 100, afterId });
        for (const organization of page.slice(0, 100)) total += await awardBirthdays(organization, now);
        if (page.length <= 100) return total;
        afterId = page[99]!.id;
      }
    },

    watchCustomers<T extends CustomersService>(customers: T): T {
      return {
        ...customers,
        create: async (organizationId, input) =>
          after(organizationId, await customers.create(organizationId, input), true),
        update: async (organizationId, id, patch) =>
          after(organizationId, await customers.update(organizationId, id, patch), false),
      };
    },
  };
}

export type SystemEvents = ReturnType<typeof createSystemEvents>;
