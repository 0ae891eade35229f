import { randomInt } from 'node:crypto';
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * Pure rules about members' identity: how a phone, an email, a card number or a referral
 * code is written, normalized and recognized. No IO (randomness aside, which is injectable).
 */

/**
 * Characters of generated card numbers and referral codes: digits and upper-case letters
 * without the ones a cashier or a member confuses when reading them aloud or typing them
 * (0/O, 1/I/L, and U, which reads as V): the same exclusions as Crockford's base32.
 */
export const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';
export const REFERRAL_CODE_LENGTH = 8;

export type RandomIndex = (size: number) => number;

export function randomCode(length: number, random: RandomIndex = randomInt): string {
  let code = '';
  for (let i = 0; i < length; i++) code += CODE_ALPHABET[random(CODE_ALPHABET.length)];
  return code;
}

/**
 * A phone number in E.164 (`+34666666666`), read the way a cashier types it: with spaces,
 * dashes or dots, with `+` or the country's international prefix (`0034…` in Spain), or as a
 * local number of the organization's country. Undefined when it is not a valid number.
 */
export function normalizePhone(raw: string, defaultCountry: string | undefined): string | undefined {
  if (!PHONE_SHAPE.test(raw)) return undefined;
  const parsed = parsePhoneNumberFromString(
    raw,
    defaultCountry ? { defaultCountry: defaultCountry as CountryCode } : {},
  );
  return parsed?.isValid() ? parsed.number : undefined;
}

/** Only digits and the punctuation people write phones with; letters are never a phone. */
const PHONE_SHAPE = /^\s*[\d\s().\-/+]{4,40}$/;

/** Whether a lookup needs the organization's country to read this as a phone (a local number or `00…`). */
export function needsDefaultCountry(identifier: string): boolean {
  return PHONE_SHAPE.test(identifier) && !/^\(?\+/.test(identifier.trim());
}

/** Emails are unique and looked up case-insensitively: this is the form they are compared in. */
export function emailKey(email: string): string {
  return email.trim().toLowerCase();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

const languageNames = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });

/** An ISO 639-1 language code (two lower-case letters) that the runtime knows: `es`, `ca`, `en`. */
export function isLanguage(code: string): boolean {
  return /^[a-z]{2}$/.test(code) && languageNames.of(code) !== undefined;
}

/** `YYYY-MM-DD` of a real calendar day. */
export function isCalendarDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

/**
 * A birth date must be a real day, not after today, and not before 1900. "Today" is
 * compared in UTC with a day of slack, so a member born today in Auckland is not refused.
 */
export function birthDateProblem(value: string, now: Date = new Date()): string | undefined {
  if (!isCalendarDate(value)) return 'must be a date in the form YYYY-MM-DD';
  if (value < '1900-01-01') return 'must not be before 1900-01-01';
  const tomorrow = new Date(now.getTime() + 24 * 60 * 60 * 1000).toISOString().slice(0, 10);
  if (value > tomorrow) return 'must not be in the future';
  return undefined;
}

export interface Label {
  key: string;
  value: string;
}

/**
 * Labels written in one text cell the Open Loyalty way: `key1:val1;key2:val2`. A label
 * without a colon has an empty value. Undefined when a key is empty.
 */
export function parseLabels(text: string): Label[] | undefined {
  const labels: Label[] = [];
  for (const part of text.split(';')) {
    if (part.trim() === '') continue;
    const colon = part.indexOf(':');
    const key = (colon === -1 ? part : part.slice(0, colon)).trim();
    const value = colon === -1 ? '' : part.slice(colon + 1).trim();
    if (key === '') return undefined;
    labels.push({ key, value });
  }
  return labels;
}

export function formatLabels(labels: Label[]): string {
  return labels.map((label) => (label.value === '' ? label.key : `${label.key}:${label.value}`)).join(';');
}

/** `true/false`, `1/0`, `yes/no`, `y/n`, `si/no` (any case), as spreadsheets and POS exports write them. */
export function parseBoolean(text: string): boolean | undefined {
  const value = text.trim().toLowerCase();
  if (['true', '1', 'yes', 'y', 'si', 'sí'].includes(value)) return true;
  if (['false', '0', 'no', 'n'].includes(value)) return false;
  return undefined;
}
