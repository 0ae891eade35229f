import { describe, expect, it } from 'vitest';
import { bucketsOf, daysBetween, monthsOf } from './periods.ts';

describe('report periods', () => {
  it('starts weeks on Monday and clips the first and last to the range', () => {
    // Wednesday 8 January 2025 to Monday 20 January 2025.
    expect(bucketsOf('2025-01-08', '2025-01-20', 'week')).toEqual([
      { period: '2025-01-06', from: '2025-01-08', to: '2025-01-12' },
      { period: '2025-01-13', from: '2025-01-13', to: '2025-01-19' },
      { period: '2025-01-20', from: '2025-01-20', to: '2025-01-20' },
    ]);
  });

  it('runs months over year ends and leap days', () => {
    expect(bucketsOf('2023-12-15', '2024-03-01', 'month').map((b) => [b.period, b.to])).toEqual([
      ['2023-12-01', '2023-12-31'],
      ['2024-01-01', '2024-01-31'],
      ['2024-02-01', '2024-02-29'],
      ['2024-03-01', '2024-03-01'],
    ]);
    expect(monthsOf('2023-12-15', '2024-03-01')).toEqual(['2023-12', '2024-01', '2024-02', '2024-03']);
  });

  it('counts both ends of a range', () => {
    expect(daysBetween('2024-02-28', '2024-03-01')).toBe(3);
    expect(bucketsOf('2025-03-30', '2025-03-31', 'day').map((b) => b.period)).toEqual([
      '2025-03-30',
      '2025-03-31',
    ]);
  });
});
