import { useTranslation } from 'react-i18next';
import type { en } from '../shared/i18n/en.ts';

type EnumGroup = keyof (typeof en)['enums'];

/** A server enum word (ACTIVE, spend, amount_discount…) in the reader's language; unknown words as sent. */
export function useEnumLabel() {
  const { t } = useTranslation();
  return (group: EnumGroup, value: string) => t(`enums.${group}.${value}`, { defaultValue: value });
}
