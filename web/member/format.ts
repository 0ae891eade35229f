import { useTranslation } from 'react-i18next';

/** Points (the API's numbers, hundredths allowed) and dates in the reader's language. */
export function useFormat() {
  const { i18n } = useTranslation();
  const language = i18n.language;
  return {
    points: (points: number) => new Intl.NumberFormat(language, { maximumFractionDigits: 2 }).format(points),
    date: (iso: string) =>
      new Intl.DateTimeFormat(language, { dateStyle: 'medium' }).format(
        new Date(iso.length === 10 ? `${iso}T12:00:00` : iso),
      ),
  };
}
