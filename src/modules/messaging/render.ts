import { type Language, messageLanguage } from '../../domain/languages.ts';
import { en } from './templates/en.ts';
import { es } from './templates/es.ts';
import { fr } from './templates/fr.ts';
import type { Block, LanguageWording, TemplateValues } from './templates/wording.ts';
import type { MessageTemplate } from './types.ts';

const WORDINGS: Record<Language, LanguageWording> = { es, en, fr };

/** The values every template needs; anything else a sender passes is ignored. */
const REQUIRED_VALUES: { [T in MessageTemplate]: (keyof TemplateValues[T])[] } = {
  'staff-invite': ['organizationName', 'link'],
  'password-reset': ['link'],
  'member-sign-in-code': ['organizationName', 'code'],
};

const DEFAULT_VALUES = { expiresInMinutes: '15' };

export interface RenderedMessage {
  language: Language;
  subject: string;
  text: string;
  html: string;
  /** The SMS form: one short line. */
  sms: string;
}

/**
 * A template in the recipient's language (anything but es, en or fr is English), as plain text,
 * HTML (every value escaped) and SMS. A missing value is the sender's bug: it throws, naming the
 * value, never its neighbours' contents.
 */
export function renderMessage(
  template: MessageTemplate,
  requestedLanguage: string,
  values: Record<string, string>,
): RenderedMessage {
  for (const name of REQUIRED_VALUES[template]) {
    if (typeof values[name] !== 'string' || values[name] === '') {
      throw new Error(`the ${template} message needs the value "${String(name)}"`);
    }
  }
  const language = messageLanguage(requestedLanguage);
  const compose = WORDINGS[language][template] as (
    values: Record<string, string>,
  ) => ReturnType<LanguageWording[MessageTemplate]>;
  const wording = compose({ ...DEFAULT_VALUES, ...values });
  return {
    language,
    subject: wording.subject,
    text: `${wording.body.map(blockText).join('\n\n')}\n`,
    html: page(language, wording.subject, wording.body.map(blockHtml).join('\n')),
    sms: wording.sms,
  };
}

function blockText(block: Block): string {
  if (typeof block === 'string') return block;
  if ('link' in block) return block.link;
  return block.code;
}

function blockHtml(block: Block): string {
  if (typeof block === 'string') return `<p>${escapeHtml(block)}</p>`;
  if ('link' in block) {
    const href = escapeHtml(block.link);
    return (
      `<p><a href="${href}" style="display:inline-block;padding:10px 18px;background:#1f6feb;color:#ffffff;text-decoration:none;border-radius:6px">${escapeHtml(block.label)}</a></p>\n` +
      `<p style="font-size:13px;color:#555555">${href}</p>`
    );
  }
  return `<p style="font-size:28px;letter-spacing:4px;font-weight:bold">${escapeHtml(block.code)}</p>`;
}

function page(language: Language, title: string, content: string): string {
  return `<!doctype html>
<html lang="${language}">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body style="font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#222222">
${content}
</body>
</html>
`;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]!);
}
