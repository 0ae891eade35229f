/**
 * The contract between the modules that send messages (staff invites and password resets, members'
 * sign-in codes) and the messaging module that delivers them (email through SMTP, SMS through an
 * HTTP provider). Senders name a template and give its values; wording per language lives in the
 * messaging module.
 */

/** What a message says: one template per purpose, each worded in Spanish, English and French. */
export type MessageTemplate = 'staff-invite' | 'password-reset' | 'member-sign-in-code';

export type MessageChannel = 'email' | 'sms';

export interface OutgoingMessage {
  organizationId: string;
  template: MessageTemplate;
  channel: MessageChannel;
  /** An email address for `email`, an E.164 phone number for `sms`. */
  to: string;
  /**
   * The recipient's language (`es`, `en`, `fr`, or a regional tag such as `es-MX`; anything else is
   * written in English): `languageOf(organization, member.language)` from organizations/settings.ts.
   */
  language: string;
  /**
   * What the template fills in. staff-invite: organizationName, link; password-reset: link;
   * member-sign-in-code: organizationName, code. password-reset and member-sign-in-code also take
   * expiresInMinutes (default 15). Secrets here (codes, tokens in links) are never logged, except
   * by the development fallback (no SMTP_URL outside production), which is there to show them.
   */
  values: Record<string, string>;
}

export interface Messenger {
  /** Which channels are configured (SMTP_URL, SMS_PROVIDER_URL); without them messages go to the development log only. */
  readonly channels: Readonly<Record<MessageChannel, boolean>>;
  /** Hands the message to its channel's transport; rejects when the transport refuses it. */
  send(message: OutgoingMessage): Promise<void>;
}
