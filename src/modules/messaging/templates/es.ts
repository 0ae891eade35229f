import type { LanguageWording } from './wording.ts';

/** Español (de España; se entiende igual en América). */
export const es: LanguageWording = {
  'staff-invite': ({ organizationName, link }) => ({
    subject: `Te han invitado a ${organizationName} en Regulars`,
    body: [
      'Hola:',
      `Te han invitado a unirte al equipo de ${organizationName} en Regulars. Elige tu contraseña para activar tu cuenta:`,
      { link, label: 'Aceptar la invitación' },
      'Si no esperabas esta invitación, puedes ignorar este correo.',
    ],
    sms: `Te han invitado a ${organizationName} en Regulars: ${link}`,
  }),
  'password-reset': ({ link, expiresInMinutes }) => ({
    subject: 'Restablece tu contraseña de Regulars',
    body: [
      'Hola:',
      `Alguien ha pedido restablecer la contraseña de tu cuenta de Regulars. Para elegir una nueva, abre este enlace en los próximos ${expiresInMinutes} minutos:`,
      { link, label: 'Elegir una contraseña nueva' },
      'Si no has sido tú, ignora este correo: tu contraseña no cambia.',
    ],
    sms: `Restablece tu contraseña de Regulars (válido ${expiresInMinutes} min): ${link}`,
  }),
  'member-sign-in-code': ({ organizationName, code, expiresInMinutes }) => ({
    subject: `${code} es tu código de acceso a ${organizationName}`,
    body: [
      'Hola:',
      `Este es tu código para entrar en ${organizationName}:`,
      { code },
      `Caduca en ${expiresInMinutes} minutos y solo sirve una vez. Si no lo has pedido tú, ignora este correo.`,
    ],
    sms: `${code} es tu código de acceso a ${organizationName}. Caduca en ${expiresInMinutes} min.`,
  }),
};
