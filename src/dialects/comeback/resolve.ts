import { isUuid } from '../../domain/customers.ts';
import { AppError, notFound, validationFailed } from '../../errors.ts';
import type { Customer } from '../../modules/customers/service.ts';
import type { Location } from '../../modules/locations/service.ts';
import type { PointType } from '../../modules/point-types/service.ts';
import type { RewardRow } from '../../modules/rewards/catalog.ts';
import type { ComebackServices } from './customers.ts';

/**
 * The ids a POS sends, found in Regulars. Regulars ids first; then the id an operator carried over
 * from Comeback: a location's `externalId`, a promotion's `code` (posCode), a point type's `code`,
 * a member's card number or external id (what `customers.lookup` reads). Ids map; nothing else
 * is decided here.
 */
export function comebackResolver(services: ComebackServices) {
  const isMissing = (error: unknown) => error instanceof AppError && error.status === 404;

  return {
    async location(organizationId: string, id: string | number): Promise<Location> {
      const value = String(id).trim();
      if (isUuid(value)) {
        const found = await services.locations.get(organizationId, value.toLowerCase()).catch((error) => {
          if (isMissing(error)) return undefined;
          throw error;
        });
        if (found) return found;
      }
      const [carried] = await services.locations.list(
        organizationId,
        { externalId: value, includeDeleted: true },
        { limit: 1, afterId: undefined },
      );
      if (!carried) throw notFound('location');
      return carried;
    },

    /** A member by id, phone, email, card number or external id. */
    async customer(organizationId: string, identifier: string | number): Promise<Customer> {
      return services.customers.lookup(organizationId, String(identifier));
    },

    async promotion(organizationId: string, id: string | number): Promise<RewardRow> {
      const value = String(id).trim();
      const catalog = services.rewards.catalog;
      // find() reads a UUID as an id and anything else as a posCode; a code may look like a UUID too.
      const found =
        (await catalog.find(organizationId, value)) ??
        (isUuid(value)
          ? (await catalog.list(organizationId, { posCode: value }, { limit: 1, afterId: undefined }))[0]
          : undefined);
      if (!found) throw notFound('promotion');
      return found;
    },

    /** The point type named by id or code; undefined (the default one) when none is named. */
    async pointType(
      organizationId: string,
      id: string | number | null | undefined,
      path = 'body.pointTypeId',
    ): Promise<PointType | undefined> {
      if (id === null || id === undefined || id === '') return undefined;
      const value = String(id).trim();
      const all = await services.pointTypes.all(organizationId);
      const found =
        all.find((type) => type.id === value.toLowerCase()) ?? all.find((type) => type.code === value);
      if (!found) throw validationFailed(path, 'is not a point type of this organization');
      return found;
    },
  };
}

export type ComebackResolver = ReturnType<typeof comebackResolver>;
