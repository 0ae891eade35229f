import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from './json-body.ts';

describe('nestsDeeperThan', () => {
  it('counts arrays and objects opened inside one another', () => {
    expect(nestsDeeperThan('{"a":[{"b":[]}]}', 4)).toBe(false);
    expect(nestsDeeperThan('{"a":[{"b":[]}]}', 3)).toBe(true);
    expect(nestsDeeperThan('[[],[],[],[]]', 2)).toBe(false);
  });

  it('skips brackets inside strings, escaped quotes included', () => {
    expect(nestsDeeperThan('{"note":"[[[[{{{{"}', 1)).toBe(false);
    expect(nestsDeeperThan('{"note":"say \\"[[[[\\" twice"}', 1)).toBe(false);
    expect(nestsDeeperThan('{"path":"C:\\\\","list":[[1]]}', 2)).toBe(true);
  });
});
