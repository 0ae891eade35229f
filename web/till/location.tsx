import { Select } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../shared/api/client.ts';
import type { Me } from '../shared/api/session.ts';
import { TILL_NAMESPACE } from './i18n/index.ts';

export interface TillLocation {
  /** The location tickets and rewards are posted at; undefined when the organization has none. */
  chosen: string | undefined;
  choices: { value: string; label: string }[];
  choose: (id: string) => void;
}

/** The device's choice, per organization: the tablet on a counter stays at its location. */
const storageKey = (organizationId: string) => `regulars.till.location.${organizationId}`;

/**
 * The locations this till may post at: the caller's own when it is restricted to some, else every
 * location of the organization. The choice is remembered on the device; a remembered location the
 * caller can no longer use falls back to the first one.
 */
export function useTillLocation(me: Me): TillLocation {
  const list = useQuery({
    queryKey: ['till', 'locations'],
    queryFn: async () => unwrap(await api.GET('/v1/locations', { params: { query: { limit: 100 } } })),
    staleTime: 5 * 60_000,
  });
  const [stored, setStored] = useState(() => localStorage.getItem(storageKey(me.organizationId)));
  const allowed = me.locationIds;
  const choices = (list.data?.data ?? [])
    .filter((location) => !location.deleted && (allowed === null || allowed.includes(location.id)))
    .map((location) => ({ value: location.id, label: location.name }));
  const fallback = allowed?.[0] ?? choices[0]?.value;
  const chosen = choices.some((choice) => choice.value === stored) ? (stored ?? undefined) : fallback;
  return {
    chosen,
    choices,
    choose: (id) => {
      localStorage.setItem(storageKey(me.organizationId), id);
      setStored(id);
    },
  };
}

export function LocationPicker({ location, disabled }: { location: TillLocation; disabled: boolean }) {
  const { t } = useTranslation(TILL_NAMESPACE);
  return (
    <Select
      size="lg"
      label={t('location.label')}
      data={location.choices}
      value={location.chosen ?? null}
      onChange={(id) => id && location.choose(id)}
      allowDeselect={false}
      disabled={disabled}
      data-testid="till-location"
    />
  );
}
