import { Type } from 'typebox';
import { notFound } from '../../errors.ts';
import { errorResponses, Uuid } from '../../http/schemas.ts';
import type { App } from '../../http/types.ts';
import { cardPage } from './card.ts';
import type { CustomersService } from './service.ts';

const CardParams = Type.Object({
  organizationId: Uuid('The organization'),
  token: Type.String({ maxLength: 100, description: 'The secret of the card link' }),
});

const WalletParams = Type.Object({
  ...CardParams.properties,
  wallet: Type.Enum(['apple', 'android'], { description: 'The wallet the link was made for' }),
});

const Html = { description: 'HTML page', content: { 'text/html': { schema: Type.String() } } };

/**
 * The member's card behind an unguessable link (no API key: the link is the secret), as the
 * Comeback dialect's download URLs hand it out. The `/apple` and `/android` forms record that the
 * member took their card to that wallet.
 */
export function cardPageRoutes(app: App, customers: CustomersService) {
  const show = async (organizationId: string, token: string, wallet?: 'apple' | 'android') => {
    const customer = await customers.openCard(organizationId, token, wallet);
    if (!customer.loyaltyCardNumber) throw notFound('card');
    return cardPage({ cardNumber: customer.loyaltyCardNumber, firstName: customer.firstName });
  };
  const config = { auth: 'public' as const };
  const schema = { tags: ['customers'], security: [], produces: ['text/html'] };

  app.get(
    '/cards/:organizationId/:token',
    {
      config,
      schema: {
        ...schema,
        summary: 'The member’s card page (QR and card number), opened from a card link',
        params: CardParams,
        response: { 200: Html, ...errorResponses(404) },
      },
    },
    async (request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(await show(request.params.organizationId, request.params.token)),
  );

  app.get(
    '/cards/:organizationId/:token/:wallet',
    {
      config,
      schema: {
        ...schema,
        summary: 'The member’s card page, opened from an Apple or Android wallet link (recorded)',
        params: WalletParams,
        response: { 200: Html, ...errorResponses(404) },
      },
    },
    async (request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(await show(request.params.organizationId, request.params.token, request.params.wallet)),
  );
}
