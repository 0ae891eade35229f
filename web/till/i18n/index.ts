import { i18next } from '../../shared/i18n/index.ts';
import { en } from './en.ts';
import { es } from './es.ts';
import { fr } from './fr.ts';

/** The till's own namespace, added when its chunk loads: `useTranslation('till')`. */
export const TILL_NAMESPACE = 'till';
for (const [language, words] of Object.entries({ en, es, fr })) {
  if (!i18next.hasResourceBundle(language, TILL_NAMESPACE))
    i18next.addResourceBundle(language, TILL_NAMESPACE, words);
}
