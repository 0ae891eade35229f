import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { organizationQuery } from '../api/session.ts';
import { formatMoney, minorDigits, minorToInput, parseMoney } from './money.ts';

/**
 * The organization's currency, and money formatted and parsed in it for the reader's language.
 * Pages without a staff session (the member pages) name the currency they read elsewhere.
 */
export function useMoney(knownCurrency?: string) {
  const { i18n } = useTranslation();
  const organization = useQuery({ ...organizationQuery, enabled: knownCurrency === undefined });
  const currency = knownCurrency ?? organization.data?.currency ?? 'EUR';
  return {
    currency,
    digits: minorDigits(currency),
    format: (minor: number) => formatMoney(minor, currency, i18n.language),
    parse: (text: string) => parseMoney(text, currency),
    toInput: (minor: number) => minorToInput(minor, currency),
  };
}
