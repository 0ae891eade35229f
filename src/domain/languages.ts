/**
 * The languages Regulars writes its messages in, and how a language is chosen. Pure: no IO.
 */
export const LANGUAGES = ['es', 'en', 'fr'] as const;

export type Language = (typeof LANGUAGES)[number];

/** What a message is written in when its language is unknown or not one of LANGUAGES. */
export const FALLBACK_LANGUAGE: Language = 'en';

/**
 * Countries whose organizations get Spanish or French by default. A country missing here (and
 * every English-speaking one) gets English: the fallback most readers can follow. Countries with
 * several official languages get the one most of their restaurants' guests read (Belgium and
 * Switzerland: French, the one of the two Regulars writes; Canada: English).
 */
const COUNTRY_LANGUAGES: Readonly<Record<string, Language>> = {
  // Spanish: Spain, Andorra and the Spanish-speaking Americas.
  ES: 'es',
  AD: 'es',
  MX: 'es',
  AR: 'es',
  CO: 'es',
  CL: 'es',
  PE: 'es',
  VE: 'es',
  EC: 'es',
  GT: 'es',
  CU: 'es',
  BO: 'es',
  DO: 'es',
  HN: 'es',
  PY: 'es',
  SV: 'es',
  NI: 'es',
  CR: 'es',
  PA: 'es',
  UY: 'es',
  PR: 'es',
  GQ: 'es',
  // French: France and its overseas departments, Monaco, Luxembourg, Belgium, Switzerland, and
  // the French-speaking countries of Africa and the Caribbean.
  FR: 'fr',
  GP: 'fr',
  MQ: 'fr',
  GF: 'fr',
  RE: 'fr',
  YT: 'fr',
  PF: 'fr',
  NC: 'fr',
  MC: 'fr',
  LU: 'fr',
  BE: 'fr',
  CH: 'fr',
  SN: 'fr',
  CI: 'fr',
  ML: 'fr',
  BF: 'fr',
  NE: 'fr',
  GN: 'fr',
  BJ: 'fr',
  TG: 'fr',
  CM: 'fr',
  GA: 'fr',
  CG: 'fr',
  CD: 'fr',
  MG: 'fr',
  HT: 'fr',
};

/** The default language of an organization in `country` (ISO 3166-1 alpha-2). */
export function languageForCountry(country: string): Language {
  return COUNTRY_LANGUAGES[country.toUpperCase()] ?? FALLBACK_LANGUAGE;
}

/**
 * The language to write in for a requested tag: `es`, `ES`, `es-MX` and `es_AR` are Spanish;
 * anything Regulars does not write (`de`, ``, `xx`) is English.
 */
export function messageLanguage(tag: string): Language {
  const primary = tag.trim().toLowerCase().split(/[-_]/)[0];
  return LANGUAGES.find((language) => language === primary) ?? FALLBACK_LANGUAGE;
}
