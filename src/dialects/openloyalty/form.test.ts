import { describe, expect, it } from 'vitest';
import { parseForm } from './form.ts';

describe('Open Loyalty form bodies', () => {
  it('reads bracket names into nested objects', () => {
    expect(parseForm('customer[firstName]=John&customer[address][city]=Wroclaw&x=1')).toEqual({
      customer: { firstName: 'John', address: { city: 'Wroclaw' } },
      x: '1',
    });
  });

  it('turns indexed keys into arrays in index order and appends on empty brackets', () => {
    const body =
      'transaction[items][1][name]=b&transaction[items][0][name]=a&transaction[items][0][labels][0][key]=k' +
      '&role[permissions][][resource]=LEVEL&role[permissions][][resource]=SEGMENT';
    expect(parseForm(body)).toEqual({
      transaction: { items: [{ name: 'a', labels: [{ key: 'k' }] }, { name: 'b' }] },
      role: { permissions: [{ resource: 'LEVEL' }, { resource: 'SEGMENT' }] },
    });
  });

  it('decodes plus signs and percent escapes as a browser form does', () => {
    expect(parseForm('a[name]=Product+name&a[date]=2019-02-20%2009:28')).toEqual({
      a: { name: 'Product name', date: '2019-02-20 09:28' },
    });
  });

  it('never writes to an object prototype', () => {
    const parsed = parseForm('__proto__[polluted]=1&a[__proto__][x]=1&a[constructor][prototype][y]=1');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(parsed).toEqual({});
  });

  it('drops names nested deeper than any Open Loyalty form goes', () => {
    expect(parseForm('a[b][c][d][e][f][g][h][i]=1&ok=1')).toEqual({ ok: '1' });
  });
});
