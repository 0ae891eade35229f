import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.ts';
import { type OwnIds, requireOwnId, requireOwnIds } from './references.ts';

const MINE = '0193a6f0-0000-7000-8000-000000000001';
const ALSO_MINE = '0193a6f0-0000-7000-8000-000000000002';
const STRANGERS = '0193a6f0-0000-7000-8000-0000000000ff';

/** An organization that owns MINE and ALSO_MINE; like ownRowIds, it answers ids lower-cased. */
const own: OwnIds = async (_organizationId, ids) =>
  new Set(ids.map((id) => id.toLowerCase()).filter((id) => id !== STRANGERS));
const field = { path: 'body.locationIds', noun: 'a location' };

async function refusal(work: Promise<void>): Promise<AppError> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('requireOwnIds', () => {
  it('lets a list of the organization’s own ids through', async () => {
    await expect(requireOwnIds(own, 'org', [MINE, ALSO_MINE], field)).resolves.toBeUndefined();
  });

  it('asks nothing when the list is empty or absent', async () => {
    const never: OwnIds = () => Promise.reject(new Error('asked'));
    await expect(requireOwnIds(never, 'org', [], field)).resolves.toBeUndefined();
    await expect(requireOwnIds(never, 'org', undefined, field)).resolves.toBeUndefined();
  });

  it('names the place of the first id that is not the organization’s', async () => {
    const error = await refusal(requireOwnIds(own, 'org', [MINE, STRANGERS], field));
    expect(error.status).toBe(422);
    expect(error.errors).toEqual([
      { path: 'body.locationIds.1', message: 'is not a location of this organization' },
    ]);
  });

  it('compares ids whatever their case', async () => {
    await expect(requireOwnIds(own, 'org', [MINE.toUpperCase()], field)).resolves.toBeUndefined();
  });

  it('lets a failure to look the ids up through, never as the caller’s mistake', async () => {
    const failing: OwnIds = () => Promise.reject(new Error('connection terminated'));
    await expect(requireOwnIds(failing, 'org', [MINE], field)).rejects.toThrow('connection terminated');
  });
});

describe('requireOwnId', () => {
  it('names the field itself, without an index', async () => {
    const error = await refusal(
      requireOwnId(own, 'org', STRANGERS, { path: 'body.brandId', noun: 'a brand' }),
    );
    expect(error.errors).toEqual([{ path: 'body.brandId', message: 'is not a brand of this organization' }]);
  });

  it('lets an absent id through', async () => {
    await expect(requireOwnId(own, 'org', null, field)).resolves.toBeUndefined();
  });
});
