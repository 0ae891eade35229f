import { STATUS_CODES } from 'node:http';
import type { AppError } from '../../errors.ts';

/**
 * Open Loyalty's error bodies (Symfony + FOSRest): a form that did not validate answers 400
 * `{"form":{"children":{…}},"errors":[]}` with every field of the form and the messages on the
 * failing ones; a missing resource 404 `{"error":{"code":404,"message":"Not Found"}}`; a refused
 * operation 400 `{"error":"Not enough points"}`.
 */

export type Children = { [field: string]: Child };
export interface Child {
  errors?: string[];
  children?: Children;
}

/** A form's fields, as OL lists them in its error body (`{}` = a plain field). */
export type Skeleton = { [field: string]: Skeleton | null };

export interface FormSpec {
  /** The root key of the form (`customer` for `customer[firstName]`); '' for unprefixed fields. */
  root: string;
  fields: Skeleton;
  /** Regulars' field path (relative, without `body.`) → OL's. */
  rename?: (path: string) => string;
}

const ADDRESS: Skeleton = {
  street: null,
  address1: null,
  address2: null,
  postal: null,
  city: null,
  province: null,
  country: null,
};

const customerFields = (withLabels: boolean): Skeleton => ({
  firstName: null,
  lastName: null,
  gender: null,
  email: null,
  phone: null,
  birthDate: null,
  createdAt: null,
  address: ADDRESS,
  company: { name: null, nip: null },
  loyaltyCardNumber: null,
  ...(withLabels ? { labels: null } : {}),
  agreement1: null,
  agreement2: null,
  agreement3: null,
  levelId: null,
  posId: null,
  sellerId: null,
});

/** The register form of the document's 400 example; the update form adds `labels`. */
export const CUSTOMER_REGISTER = customerFields(false);
export const CUSTOMER_UPDATE = customerFields(true);
export const TRANSACTION: Skeleton = {
  transactionData: { documentType: null, documentNumber: null, purchaseDate: null, purchasePlace: null },
  revisedDocument: null,
  items: {},
  customerData: {
    name: null,
    email: null,
    phone: null,
    loyaltyCardNumber: null,
    nip: null,
    address: ADDRESS,
  },
  labels: {},
};
export const ASSIGN: Skeleton = {
  transactionDocumentNumber: null,
  customerId: null,
  customerLoyaltyCardNumber: null,
  customerPhoneNumber: null,
};
export const TRANSACTION_LABELS: Skeleton = { transactionId: null, labels: null };
export const APPEND_LABELS: Skeleton = { transactionDocumentNumber: null, labels: null };
export const TRANSFER: Skeleton = { customer: null, points: null, comment: null };
export const P2P: Skeleton = { sender: null, receiver: null, points: null };
export const LEVEL: Skeleton = { levelId: null };

function emptyChildren(fields: Skeleton): Children {
  const children: Children = {};
  for (const [name, nested] of Object.entries(fields)) {
    children[name] = nested && Object.keys(nested).length > 0 ? { children: emptyChildren(nested) } : {};
  }
  return children;
}

export const BLANK = 'This value should not be blank.';
const USED = 'This value is already used.';
const INVALID = 'This value is not valid.';

/** Symfony's validator messages, for what Regulars reported on a field. */
function messageFor(field: string, error: AppError, message: string): string {
  if (error.status === 409) return USED;
  if (/blank|required|must have required property/i.test(message)) return BLANK;
  if (/phone$/i.test(field)) return 'This value is not a valid phone number.';
  if (/email$/i.test(field)) return 'This value is not a valid email address.';
  return INVALID;
}

function place(children: Children, segments: string[], message: string): void {
  let node: Child = { children };
  for (const segment of segments) {
    node.children ??= {};
    node.children[segment] ??= {};
    node = node.children[segment]!;
  }
  node.errors = [...(node.errors ?? []), message];
}

export function formBody(
  spec: FormSpec,
  fieldErrors: { path: string; message: string; raw?: boolean }[],
  error?: AppError,
) {
  const children = emptyChildren(spec.fields);
  const global: string[] = [];
  for (const field of fieldErrors) {
    let path = field.path.replace(/^(body|query|params)\.?/, '');
    if (spec.root && (path === spec.root || path.startsWith(`${spec.root}.`)))
      path = path.slice(spec.root.length + 1);
    path = spec.rename ? spec.rename(path) : path;
    const message = field.raw || !error ? field.message : messageFor(path, error, field.message);
    if (path === '') global.push(message);
    else place(children, path.split('.'), message);
  }
  return { form: { children }, errors: global };
}

/** The 400 body of a form whose required fields are blank (`{path: isBlank}`); undefined when none is. */
export function blankFields(spec: FormSpec, blank: Record<string, boolean>) {
  const paths = Object.keys(blank).filter((path) => blank[path]);
  if (paths.length === 0) return undefined;
  return formBody(
    spec,
    paths.map((path) => ({ path, message: BLANK, raw: true })),
  );
}

/** The body of a form nobody filled in (no root key sent): Symfony lists the fields, no messages. */
export function unsubmittedForm(spec: FormSpec) {
  return { form: { children: emptyChildren(spec.fields) }, errors: [] };
}

/**
 * `{"error":{"code":404,"message":"Not Found"}}` and its siblings for other statuses; a 403 says
 * which scope the caller lacks, in the same shape.
 */
export function statusBody(status: number, message?: string) {
  return { error: { code: status, message: message ?? STATUS_CODES[status] ?? 'Error' } };
}

/** OL's words for the refusals its document shows; Regulars' own message otherwise. */
export function refusalMessage(error: AppError): string {
  if (error.code === 'insufficient_points') return 'Not enough points';
  if (error.code === 'already_assigned') return 'Customer is already assigned to this transaction';
  return error.message;
}
