import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './en.ts';
import { es } from './es.ts';
import { fr } from './fr.ts';

export const LANGUAGES = ['es', 'en', 'fr'] as const;
export type Language = (typeof LANGUAGES)[number];
const CHOICE_KEY = 'regulars.language';

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** The user's own choice, remembered in this browser. */
export function rememberedLanguage(): Language | undefined {
  const stored = localStorage.getItem(CHOICE_KEY);
  return isLanguage(stored) ? stored : undefined;
}

export function chooseLanguage(language: Language): void {
  localStorage.setItem(CHOICE_KEY, language);
  void i18next.changeLanguage(language);
}

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

void i18next.use(initReactI18next).init({
  resources: { en: { translation: en }, es: { translation: es }, fr: { translation: fr } },
  lng:
    rememberedLanguage() ??
    (isLanguage(navigator.language.slice(0, 2)) ? navigator.language.slice(0, 2) : 'en'),
  fallbackLng: 'en',
  interpolation: { escapeValue: false },
});

i18next.on('languageChanged', (language) => {
  document.documentElement.lang = language;
});
document.documentElement.lang = i18next.language;

export { i18next };
