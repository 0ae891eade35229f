import type { LanguageWording } from './wording.ts';

/** Français. */
export const fr: LanguageWording = {
  'staff-invite': ({ organizationName, link }) => ({
    subject: `Vous êtes invité·e à rejoindre ${organizationName} sur Regulars`,
    body: [
      'Bonjour,',
      `Vous avez été invité·e à rejoindre l’équipe de ${organizationName} sur Regulars. Choisissez votre mot de passe pour activer votre compte :`,
      { link, label: 'Accepter l’invitation' },
      'Si vous n’attendiez pas cette invitation, vous pouvez ignorer cet e-mail.',
    ],
    sms: `Vous êtes invité·e à rejoindre ${organizationName} sur Regulars : ${link}`,
  }),
  'password-reset': ({ link, expiresInMinutes }) => ({
    subject: 'Réinitialisez votre mot de passe Regulars',
    body: [
      'Bonjour,',
      `Quelqu’un a demandé à réinitialiser le mot de passe de votre compte Regulars. Pour en choisir un nouveau, ouvrez ce lien dans les ${expiresInMinutes} minutes :`,
      { link, label: 'Choisir un nouveau mot de passe' },
      'Si ce n’était pas vous, ignorez cet e-mail : votre mot de passe ne change pas.',
    ],
    sms: `Réinitialisez votre mot de passe Regulars (valable ${expiresInMinutes} min) : ${link}`,
  }),
  'member-sign-in-code': ({ organizationName, code, expiresInMinutes }) => ({
    subject: `${code} est votre code de connexion à ${organizationName}`,
    body: [
      'Bonjour,',
      `Voici votre code pour vous connecter à ${organizationName} :`,
      { code },
      `Il expire dans ${expiresInMinutes} minutes et ne sert qu’une fois. Si vous ne l’avez pas demandé, ignorez cet e-mail.`,
    ],
    sms: `${code} est votre code de connexion à ${organizationName}. Il expire dans ${expiresInMinutes} min.`,
  }),
};
