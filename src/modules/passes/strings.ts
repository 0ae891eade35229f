import type { Language } from '../../domain/languages.ts';

/** The card's labels in each language Regulars writes (Apple: one pass.strings per .lproj). */
export const PASS_STRINGS: Record<Language, Record<PassLabel, string>> = {
  en: {
    MEMBER: 'Member',
    TIER: 'Tier',
    NO_TIER: 'None',
    EXPIRES: 'Expiring',
    CARD: 'Card number',
    BALANCE_CHANGED: 'Your balance is now %@',
    DESCRIPTION: 'Loyalty card',
  },
  es: {
    MEMBER: 'Socio',
    TIER: 'Nivel',
    NO_TIER: 'Ninguno',
    EXPIRES: 'Caducan',
    CARD: 'Número de tarjeta',
    BALANCE_CHANGED: 'Tu saldo es ahora %@',
    DESCRIPTION: 'Tarjeta de fidelización',
  },
  fr: {
    MEMBER: 'Membre',
    TIER: 'Niveau',
    NO_TIER: 'Aucun',
    EXPIRES: 'Expirent',
    CARD: 'Numéro de carte',
    BALANCE_CHANGED: 'Votre solde est maintenant de %@',
    DESCRIPTION: 'Carte de fidélité',
  },
};

export type PassLabel =
  | 'MEMBER'
  | 'TIER'
  | 'NO_TIER'
  | 'EXPIRES'
  | 'CARD'
  | 'BALANCE_CHANGED'
  | 'DESCRIPTION';
