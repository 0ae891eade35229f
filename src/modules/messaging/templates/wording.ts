import type { MessageTemplate } from '../types.ts';

/**
 * The shape of one language's wording. Each template is a function of its values returning
 * plain text pieces; the renderer (render.ts) builds the text, HTML and SMS forms from them and
 * escapes every value in the HTML, so a wording file holds words only, never markup.
 */

/** The values each template needs (`OutgoingMessage.values`); `expiresInMinutes` defaults to 15. */
export interface TemplateValues {
  'staff-invite': { organizationName: string; link: string };
  'password-reset': { link: string; expiresInMinutes: string };
  'member-sign-in-code': { organizationName: string; code: string; expiresInMinutes: string };
}

/** A paragraph of plain text, a link (shown as a button in HTML, as the bare URL in text), or a code to copy. */
export type Block = string | { link: string; label: string } | { code: string };

export interface Wording {
  subject: string;
  /** The email body, top to bottom; the greeting and the sign-off included. */
  body: Block[];
  /** The whole SMS: short, with the code or link in it. */
  sms: string;
}

export type LanguageWording = { [T in MessageTemplate]: (values: TemplateValues[T]) => Wording };
