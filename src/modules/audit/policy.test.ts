import { describe, expect, it } from 'vitest';
import { REDACTED, redactChanges } from './redaction.ts';
import { changesBetween, isAudited } from './service.ts';

describe('what the audit log records', () => {
  it('records changes to configuration and people wherever they are made', () => {
    for (const type of [
      'organization.updated',
      'location.created',
      'point_type.updated',
      'earning_rule.deleted',
      'tier.updated',
      'segment.created',
      'reward.codes_added',
      'reward_category.deleted',
      'webhook_endpoint.secret_rotated',
      'customer.anonymized',
      'api_key.revoked',
    ]) {
      expect(isAudited(type, 'changes'), type).toBe(true);
    }
  });

  it('leaves out the program running (tickets, points, coupons, tier and segment moves) unless the route asks', () => {
    for (const type of [
      'transaction.created',
      'points.earned',
      'points.added',
      'coupon.used',
      'redemption.committed',
      'tier.changed',
      'segment.customer_added',
      'reward.claimed',
    ]) {
      expect(isAudited(type, 'changes'), type).toBe(false);
      expect(isAudited(type, 'all-events'), type).toBe(true);
    }
  });

  it('keeps the fields that changed, before and after', () => {
    expect(
      changesBetween(
        { name: 'A', city: 'Vic', address: { street: 'Major 1' } },
        { name: 'A', city: 'Olot', address: { street: 'Major 2' } },
        ['name', 'city', 'address'],
      ),
    ).toEqual({
      city: { before: 'Vic', after: 'Olot' },
      address: { before: { street: 'Major 1' }, after: { street: 'Major 2' } },
    });
  });
});

describe('redaction', () => {
  it('replaces secrets by name, showing that they changed', () => {
    expect(
      redactChanges({
        secret: { before: 'whsec_old', after: 'whsec_new' },
        keyHash: 'abc',
        passwordHash: { before: null, after: '$argon2id$…' },
        headers: { before: {}, after: { 'x-vendor-token': 't0k3n' } },
        url: { before: 'https://a.example', after: 'https://b.example' },
      }),
    ).toEqual({
      secret: { before: REDACTED, after: REDACTED },
      keyHash: REDACTED,
      passwordHash: { before: REDACTED, after: REDACTED },
      headers: { before: REDACTED, after: REDACTED },
      url: { before: 'https://a.example', after: 'https://b.example' },
    });
  });

  it('finds secrets nested in values, and leaves look-alikes alone', () => {
    expect(
      redactChanges({
        config: { before: { code: 'TABLE-7', points: 5 }, after: { code: 'TABLE-8', points: 5 } },
        labels: { before: [], after: [{ key: 'vip', value: 'yes' }] },
        address: { before: null, after: { postalCode: '08001' } },
        referralCode: 'K7Q2M9',
        cardToken: 'abc',
        totp_secret: 'JBSWY3DP',
      }),
    ).toEqual({
      config: { before: { code: REDACTED, points: 5 }, after: { code: REDACTED, points: 5 } },
      labels: { before: [], after: [{ key: 'vip', value: 'yes' }] },
      address: { before: null, after: { postalCode: '08001' } },
      referralCode: 'K7Q2M9',
      cardToken: REDACTED,
      totp_secret: REDACTED,
    });
  });
});
