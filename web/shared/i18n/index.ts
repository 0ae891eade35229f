import { en } from './en.ts';
import { es } from './es.ts';
import { fr } from './fr.ts';
import { i18next, isLanguage, type Language, rememberedLanguage, startI18n } from './language.ts';

export {
  chooseLanguage,
  i18next,
  isLanguage,
  LANGUAGES,
  type Language,
  rememberedLanguage,
} from './language.ts';

const BY_COUNTRY: Record<string, Language> = {
  ES: 'es',
  MX: 'es',
  AR: 'es',
  CO: 'es',
  CL: 'es',
  FR: 'fr',
  BE: 'fr',
};

/** The organization's language (from its country), unless the user chose one or set one on their account. */
export function applyDefaultLanguage(
  staffLanguage: string | null | undefined,
  country: string | null | undefined,
) {
  if (rememberedLanguage()) return;
  const language = isLanguage(staffLanguage)
    ? staffLanguage
    : (country && BY_COUNTRY[country.toUpperCase()]) || 'en';
  if (i18next.language !== language) void i18next.changeLanguage(language);
}

startI18n({ en: { translation: en }, es: { translation: es }, fr: { translation: fr } });
