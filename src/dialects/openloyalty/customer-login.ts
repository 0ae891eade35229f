import { isUuid } from '../../domain/customers.ts';
import { AppError, notFound } from '../../errors.ts';
import type { App } from '../../http/types.ts';
import { badCredentials, type OlContext, originOf, tags } from './context.ts';
import { OlLogin, StoreParams } from './contract.ts';

/**
 * OL's customer login (`POST /api/<storeCode>/customer/login_check`) as Regulars' member sign-in:
 * members have no password but one-time codes (src/modules/member-access). A login_check without
 * `_password` sends the member a code (to the email or phone `_username` names, or for a loyalty
 * card number to the member's own address) and answers Lexik's 401 like every failed login, so it
 * tells nobody who is a member; the same call with the code as `_password` answers `{token}`, a
 * member session token (`Authorization: Bearer`). The route is public, so the store code must be
 * the organization's id: `DEFAULT` names no program without a credential.
 */
export function customerLoginRoutes(app: App, ol: OlContext) {
  const { services } = ol;

  app.post(
    '/api/:storeCode/customer/login_check',
    {
      config: { auth: 'public' as const },
      schema: {
        tags,
        security: [],
        summary:
          'OL: a customer’s token (member sign-in: without _password sends a one-time code, with the code signs in)',
        params: StoreParams,
        body: OlLogin,
      },
    },
    async (request, reply) => {
      const organizationId = request.params.storeCode.trim().toLowerCase();
      if (!isUuid(organizationId)) throw notFound('store');
      await services.organizations.get(organizationId);
      const username = request.body?._username?.trim();
      const code = request.body?._password?.trim();
      const address = username ? await services.memberAccess.addressFor(organizationId, username) : undefined;
      if (!address) return reply.code(401).send(badCredentials);
      const { ip, userAgent } = originOf(request);
      const origin = { ip, userAgent: userAgent ?? null };
      try {
        if (!code) {
          await services.memberAccess.requestCode(organizationId, address, origin);
          return reply.code(401).send(badCredentials);
        }
        const session = await services.memberAccess.verify(organizationId, { ...address, code }, origin);
        return { token: session.token };
      } catch (error) {
        // A wrong code or an address that is no phone: Lexik's one answer (a limit stays a 429).
        if (error instanceof AppError && error.status < 500 && error.status !== 429)
          return reply.code(401).send(badCredentials);
        throw error;
      }
    },
  );
}
