import type { LanguageWording } from './wording.ts';

/** English: also what any language Regulars does not write gets. */
export const en: LanguageWording = {
  'staff-invite': ({ organizationName, link }) => ({
    subject: `You are invited to ${organizationName} on Regulars`,
    body: [
      'Hello,',
      `You have been invited to join the team of ${organizationName} on Regulars. Choose your password to activate your account:`,
      { link, label: 'Accept the invitation' },
      'If you were not expecting this invitation, you can ignore this email.',
    ],
    sms: `You are invited to ${organizationName} on Regulars: ${link}`,
  }),
  'password-reset': ({ link, expiresInMinutes }) => ({
    subject: 'Reset your Regulars password',
    body: [
      'Hello,',
      `Someone asked to reset the password of your Regulars account. To choose a new one, open this link within ${expiresInMinutes} minutes:`,
      { link, label: 'Choose a new password' },
      'If it was not you, ignore this email: your password stays as it is.',
    ],
    sms: `Reset your Regulars password (valid ${expiresInMinutes} min): ${link}`,
  }),
  'member-sign-in-code': ({ organizationName, code, expiresInMinutes }) => ({
    subject: `${code} is your ${organizationName} sign-in code`,
    body: [
      'Hello,',
      `Here is your code to sign in to ${organizationName}:`,
      { code },
      `It expires in ${expiresInMinutes} minutes and works only once. If you did not ask for it, ignore this email.`,
    ],
    sms: `${code} is your ${organizationName} sign-in code. It expires in ${expiresInMinutes} min.`,
  }),
};
