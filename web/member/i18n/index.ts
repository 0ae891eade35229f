import { i18next, isLanguage, rememberedLanguage, startI18n } from '../../shared/i18n/language.ts';
import { en } from './en.ts';
import { es } from './es.ts';
import { fr } from './fr.ts';

/**
 * The member pages' own catalogue (namespace `member`: `useTranslation('member')`), started
 * without the console's, which a diner's phone does not need.
 */
export const MEMBER_NAMESPACE = 'member';
const catalogue = (words: typeof en) => ({
  translation: { common: words.common },
  [MEMBER_NAMESPACE]: words,
});
startI18n({ en: catalogue(en), es: catalogue(es), fr: catalogue(fr) });

/** The organization's language, unless this browser's user chose one (the picker remembers it). */
export function applyOrganizationLanguage(language: string): void {
  if (rememberedLanguage() || !isLanguage(language)) return;
  if (i18next.language !== language) void i18next.changeLanguage(language);
}
