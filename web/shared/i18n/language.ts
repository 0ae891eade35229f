import i18next, { type Resource } from 'i18next';
import { initReactI18next } from 'react-i18next';

/**
 * The web apps' languages and the user's remembered choice, without any app's words: each app
 * (console, member pages) starts i18next with its own catalogue, so none loads another's.
 */
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

/** Starts i18next with an app's catalogue: the remembered language, else the browser's, else English. */
export function startI18n(resources: Resource): void {
  const browser = navigator.language.slice(0, 2);
  void i18next.use(initReactI18next).init({
    resources,
    lng: rememberedLanguage() ?? (isLanguage(browser) ? browser : 'en'),
    fallbackLng: 'en',
    interpolation: { escapeValue: false },
  });
  i18next.on('languageChanged', (language) => {
    document.documentElement.lang = language;
  });
  document.documentElement.lang = i18next.language;
}

export { i18next };
