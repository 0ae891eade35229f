import { describe, expect, it } from 'vitest';
import type { RewardRow } from '../../modules/rewards/catalog.ts';
import type { ComebackOrder } from './contract.ts';
import { tokenOf } from './routes.ts';
import { discountOf, linesOf, toRewardInput, toTransaction } from './translate.ts';
import { pointsData, promotionsApplied } from './webhooks.ts';

const reward = (type: RewardRow['type'], value: number | null, config: RewardRow['config'] = {}) => ({
  type,
  value,
  config,
});

describe('Comeback promotions ⇄ rewards', () => {
  it('maps each discountType to a reward and back', () => {
    const cases = [
      ['percentage', 10, 'percentage_discount'],
      ['currency', 250, 'amount_discount'],
      ['2x1', undefined, 'bogo'],
      ['products', 1, 'custom'],
    ] as const;
    for (const [discountType, discountAmount, type] of cases) {
      const input = toRewardInput({ name: 'P', discountType, discountAmount, pointsExpense: 3 }, null);
      expect(input).toMatchObject({ type, costPoints: 3, posCode: null });
    }
    expect(toRewardInput({ name: 'P', code: 'MENU', pointsRequired: 7 }, null)).toMatchObject({
      type: 'custom',
      costPoints: 7,
      posCode: 'MENU',
    });
    expect(toRewardInput({ name: 'P', availableOnline: false }, null).channels).toEqual([
      'pos',
      'shop',
      'admin',
    ]);
    // Engine units back to Comeback's: percents are kept in hundredths.
    expect(discountOf(reward('percentage_discount', 1000))).toEqual({
      discountType: 'percentage',
      discountAmount: 10,
    });
    expect(discountOf(reward('amount_discount', 250))).toEqual({
      discountType: 'currency',
      discountAmount: 250,
    });
    expect(discountOf(reward('bogo', null, { buy: 2, free: 1 }))).toEqual({
      discountType: '2x1',
      discountAmount: 0,
    });
    expect(discountOf(reward('discount_code', 500, { discountType: 'amount' })).discountType).toBe(
      'currency',
    );
    expect(discountOf(reward('free_product', 1))).toEqual({ discountType: 'products', discountAmount: 1 });
  });
});

describe('Comeback orders → tickets', () => {
  const order: ComebackOrder = {
    externalId: 'h230he02',
    amount: 2950,
    discountAmount: 50,
    products: [
      {
        name: 'Burger',
        quantity: 1,
        organizationProductExternalId: 'eygh2hgnd',
        orderProductExternalId: 'L1',
        price: 3000,
      },
      {
        name: 'Water',
        quantity: 2,
        organizationProductExternalId: 7,
        orderProductExternalId: 'L2',
        price: 400,
      },
    ],
  };

  it('keeps the POS line ids when distinct, positions otherwise; prices are line totals', () => {
    expect(linesOf(order).map((line) => [line.lineId, line.sku, line.total])).toEqual([
      ['L1', 'eygh2hgnd', 3000],
      ['L2', '7', 400],
    ]);
    const duplicated = {
      ...order,
      products: order.products!.map((p) => ({ ...p, orderProductExternalId: 'X' })),
    };
    expect(linesOf(duplicated).map((line) => line.lineId)).toEqual(['1', '2']);
  });

  it('makes an order without products one line worth the order before its discount', () => {
    expect(linesOf({ ...order, products: null })).toEqual([
      { lineId: '1', name: 'Order', quantity: 1, total: 3000 },
    ]);
  });

  it('is a completed sale of source comeback, numbered by externalId', () => {
    expect(toTransaction(order, { locationId: null, customerId: null })).toMatchObject({
      documentNumber: 'h230he02',
      source: 'comeback',
      type: 'sale',
      status: 'completed',
      totals: { discount: 50, total: 2950 },
    });
  });
});

describe('Comeback auth header and webhook data', () => {
  it('reads the raw token, or a Bearer/Token one', () => {
    expect(tokenOf('rg_abc')).toBe('rg_abc');
    expect(tokenOf('  Bearer rg_abc ')).toBe('rg_abc');
    expect(tokenOf('token rg_abc')).toBe('rg_abc');
    for (const header of [undefined, '', 'Basic rg_abc', 'a b c']) expect(tokenOf(header)).toBeUndefined();
  });

  it('turns points and redemption events into Comeback data', () => {
    expect(
      pointsData({ customerId: 'c', pointTypeId: 't', delta: -3, locationId: 'l', balance: { active: 47 } }),
    ).toEqual({ customerId: 'c', locationId: 'l', addedPoints: -3, newPointsValue: 47, pointTypeId: 't' });
    expect(pointsData({ customerId: 'c', pointTypeId: 't', balance: { active: 5 } }).addedPoints).toBe(0);
    expect(
      promotionsApplied({
        customerId: 'c',
        rewards: [{ rewardId: 'a' }, { rewardId: null }, { rewardId: 'b' }],
      }),
    ).toEqual([
      { customerId: 'c', promotionId: 'a' },
      { customerId: 'c', promotionId: 'b' },
    ]);
  });
});
